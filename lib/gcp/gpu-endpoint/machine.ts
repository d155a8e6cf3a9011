/**
 * Per-machine-family facts the instance templates need. Kept as data so a new family is one row.
 */

/**
 * Deep Learning VM image family: Ubuntu 22.04 with the NVIDIA 570 driver (CUDA 12.8) preinstalled,
 * Docker and the NVIDIA Container Toolkit, so a replica starts serving without compiling a driver
 * at boot. The driver is a DKMS module not signed by a key in the Shielded VM UEFI database, which
 * is why Secure Boot is off by default (see `GpuEndpointProps.secureBoot`).
 */
export const DEFAULT_SOURCE_IMAGE = 'projects/deeplearning-platform-release/global/images/family/common-cu128-ubuntu-2204-nvidia-570';

interface FamilyRow {
  /** Machine-type prefix, e.g. `a3-ultragpu-`. */
  readonly prefix: string;
  /** Boot disk type the family supports (A3 Ultra and A4 take Hyperdisk only). */
  readonly bootDiskType: string;
  /** NIC type the family requires, where it requires one (A3 requires gVNIC). */
  readonly nicType?: string;
}

// Ordered most specific first. Sources: Compute Engine accelerator-optimized machine family docs
// (supported disk types and network interfaces per series).
const FAMILIES: readonly FamilyRow[] = [
  { prefix: 'a3-ultragpu-', bootDiskType: 'hyperdisk-balanced', nicType: 'GVNIC' },
  { prefix: 'a4-', bootDiskType: 'hyperdisk-balanced', nicType: 'GVNIC' },
  { prefix: 'a3-', bootDiskType: 'pd-balanced', nicType: 'GVNIC' },
  { prefix: 'a2-', bootDiskType: 'pd-balanced' },
  { prefix: 'g2-', bootDiskType: 'pd-balanced' },
];

const FALLBACK: FamilyRow = { prefix: '', bootDiskType: 'pd-balanced' };

function familyOf(machineType: string): FamilyRow {
  return FAMILIES.find((f) => machineType.startsWith(f.prefix)) ?? FALLBACK;
}

/** Boot disk type for a machine type: `hyperdisk-balanced` where the family takes only Hyperdisk, else `pd-balanced`. */
export function bootDiskTypeFor(machineType: string): string {
  return familyOf(machineType).bootDiskType;
}

/** NIC type a machine type requires (`GVNIC` on A3/A4), or undefined for the Compute Engine default. */
export function nicTypeFor(machineType: string): string | undefined {
  return familyOf(machineType).nicType;
}
