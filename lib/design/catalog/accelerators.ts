import type { Cloud } from '../cloud';

/** One instance (AWS), machine (GCP) or VM size (Azure) that carries a given accelerator. */
export interface InstanceOffer {
  /** Instance type, machine type or VM size, e.g. `g6.xlarge`, `g2-standard-4`, `Standard_NC24ads_A100_v4`. */
  readonly type: string;
  /** Accelerators attached to one instance. */
  readonly gpus: number;
  readonly vcpus: number;
  readonly memoryGiB: number;
  /** On-demand (pay-as-you-go) price per instance-hour, USD. */
  readonly onDemandHourlyUsd: number;
  /** Typical spot price per instance-hour, USD; absent where the cloud sells no spot capacity of this type. */
  readonly spotHourlyUsd?: number;
  /** Effective hourly price under a 1-year commitment (Savings Plan / CUD / reservation, no upfront), USD. */
  readonly committed1yHourlyUsd: number;
}

/** What one cloud offers for one accelerator. */
export interface CloudOffering {
  /** Instance types, smallest first. Empty where the cloud does not offer the accelerator. */
  readonly offers: readonly InstanceOffer[];
  /** Where `offers` is empty: the accelerator id this cloud offers that comes nearest (memory, generation). */
  readonly nearest?: string;
  /** GCP `guest_accelerator.type` (e.g. `nvidia-l4`); Azure/AWS leave it unset. */
  readonly acceleratorType?: string;
  /** A note shown in docs and warnings (e.g. that Azure's A10 stands in for the A10G). */
  readonly note?: string;
}

export interface AcceleratorSpec {
  readonly id: string;
  readonly displayName: string;
  readonly memoryGiB: number;
  readonly offerings: Readonly<Record<Cloud, CloudOffering>>;
}

interface Row {
  readonly type: string;
  readonly gpus: number;
  readonly vcpus: number;
  readonly memoryGiB: number;
  readonly onDemand: number;
}

/** Builds offers from a price-table family with its typical spot and 1-year committed ratios. */
function family(rows: readonly Row[], spotRatio: number | undefined, committedRatio: number): InstanceOffer[] {
  const round = (n: number) => Math.round(n * 10000) / 10000;
  return rows.map((r) => ({
    type: r.type,
    gpus: r.gpus,
    vcpus: r.vcpus,
    memoryGiB: r.memoryGiB,
    onDemandHourlyUsd: r.onDemand,
    spotHourlyUsd: spotRatio === undefined ? undefined : round(r.onDemand * spotRatio),
    committed1yHourlyUsd: round(r.onDemand * committedRatio),
  }));
}

const notOffered = (nearest: string, note?: string): CloudOffering => ({ offers: [], nearest, note });

// Prices: AWS EC2 On-Demand Linux, us-east-1 (aws.amazon.com/ec2/pricing/on-demand, P4/P5 after the
// June 2025 price reduction); GCP Compute Engine GPU machine types, us-central1
// (cloud.google.com/compute/gpus-pricing); Azure Linux VMs pay-as-you-go, East US
// (azure.microsoft.com/pricing/details/virtual-machines/linux). Noted 2025-10; spot ratios are
// typical 30-day averages and committed ratios the 1-year no-upfront Savings Plan / CUD / reservation
// discount. Any price can be overridden per design with `prices.instances`.
const ACCELERATORS: readonly AcceleratorSpec[] = [
  {
    id: 'nvidia-l4',
    displayName: 'NVIDIA L4 (24 GB)',
    memoryGiB: 24,
    offerings: {
      aws: {
        offers: family(
          [
            { type: 'g6.xlarge', gpus: 1, vcpus: 4, memoryGiB: 16, onDemand: 0.8048 },
            { type: 'g6.2xlarge', gpus: 1, vcpus: 8, memoryGiB: 32, onDemand: 0.9776 },
            { type: 'g6.4xlarge', gpus: 1, vcpus: 16, memoryGiB: 64, onDemand: 1.3232 },
            { type: 'g6.8xlarge', gpus: 1, vcpus: 32, memoryGiB: 128, onDemand: 2.0144 },
            { type: 'g6.16xlarge', gpus: 1, vcpus: 64, memoryGiB: 256, onDemand: 3.3968 },
            { type: 'g6.12xlarge', gpus: 4, vcpus: 48, memoryGiB: 192, onDemand: 4.6016 },
            { type: 'g6.24xlarge', gpus: 4, vcpus: 96, memoryGiB: 384, onDemand: 6.6752 },
            { type: 'g6.48xlarge', gpus: 8, vcpus: 192, memoryGiB: 768, onDemand: 13.3504 },
          ],
          0.4,
          0.64,
        ),
      },
      gcp: {
        acceleratorType: 'nvidia-l4',
        offers: family(
          [
            { type: 'g2-standard-4', gpus: 1, vcpus: 4, memoryGiB: 16, onDemand: 0.7068 },
            { type: 'g2-standard-8', gpus: 1, vcpus: 8, memoryGiB: 32, onDemand: 0.8536 },
            { type: 'g2-standard-12', gpus: 1, vcpus: 12, memoryGiB: 48, onDemand: 1.0004 },
            { type: 'g2-standard-24', gpus: 2, vcpus: 24, memoryGiB: 96, onDemand: 2.0008 },
            { type: 'g2-standard-48', gpus: 4, vcpus: 48, memoryGiB: 192, onDemand: 4.0016 },
            { type: 'g2-standard-96', gpus: 8, vcpus: 96, memoryGiB: 384, onDemand: 8.0033 },
          ],
          0.4,
          0.63,
        ),
      },
      azure: notOffered('nvidia-a10g', 'Azure has no L4 sizes; the NVadsA10 v5 (A10) is the nearest.'),
    },
  },
  {
    id: 'nvidia-a10g',
    displayName: 'NVIDIA A10G (24 GB)',
    memoryGiB: 24,
    offerings: {
      aws: {
        offers: family(
          [
            { type: 'g5.xlarge', gpus: 1, vcpus: 4, memoryGiB: 16, onDemand: 1.006 },
            { type: 'g5.2xlarge', gpus: 1, vcpus: 8, memoryGiB: 32, onDemand: 1.212 },
            { type: 'g5.4xlarge', gpus: 1, vcpus: 16, memoryGiB: 64, onDemand: 1.624 },
            { type: 'g5.8xlarge', gpus: 1, vcpus: 32, memoryGiB: 128, onDemand: 2.448 },
            { type: 'g5.16xlarge', gpus: 1, vcpus: 64, memoryGiB: 256, onDemand: 4.096 },
            { type: 'g5.12xlarge', gpus: 4, vcpus: 48, memoryGiB: 192, onDemand: 5.672 },
            { type: 'g5.24xlarge', gpus: 4, vcpus: 96, memoryGiB: 384, onDemand: 8.144 },
            { type: 'g5.48xlarge', gpus: 8, vcpus: 192, memoryGiB: 768, onDemand: 16.288 },
          ],
          0.38,
          0.64,
        ),
      },
      gcp: notOffered('nvidia-l4', 'Compute Engine offers no A10/A10G; the G2 (L4) is the nearest.'),
      azure: {
        note: 'Azure sells the A10 (the A10G\u2019s data-centre sibling, same 24 GB) as NVadsA10 v5.',
        offers: family(
          [
            { type: 'Standard_NV36ads_A10_v5', gpus: 1, vcpus: 36, memoryGiB: 440, onDemand: 3.2 },
            { type: 'Standard_NV72ads_A10_v5', gpus: 2, vcpus: 72, memoryGiB: 880, onDemand: 6.52 },
          ],
          0.3,
          0.62,
        ),
      },
    },
  },
  {
    id: 'nvidia-l40s',
    displayName: 'NVIDIA L40S (48 GB)',
    memoryGiB: 48,
    offerings: {
      aws: {
        offers: family(
          [
            { type: 'g6e.xlarge', gpus: 1, vcpus: 4, memoryGiB: 32, onDemand: 1.861 },
            { type: 'g6e.2xlarge', gpus: 1, vcpus: 8, memoryGiB: 64, onDemand: 2.2421 },
            { type: 'g6e.4xlarge', gpus: 1, vcpus: 16, memoryGiB: 128, onDemand: 3.0042 },
            { type: 'g6e.8xlarge', gpus: 1, vcpus: 32, memoryGiB: 256, onDemand: 4.5286 },
            { type: 'g6e.12xlarge', gpus: 4, vcpus: 48, memoryGiB: 384, onDemand: 10.4926 },
            { type: 'g6e.24xlarge', gpus: 4, vcpus: 96, memoryGiB: 768, onDemand: 15.0656 },
            { type: 'g6e.48xlarge', gpus: 8, vcpus: 192, memoryGiB: 1536, onDemand: 30.1312 },
          ],
          0.45,
          0.65,
        ),
      },
      gcp: notOffered('nvidia-a100-40gb', 'Compute Engine offers no L40S; the A2 (A100 40 GB) is the nearest in memory.'),
      azure: notOffered('nvidia-a100-80gb', 'Azure has no L40S sizes; the NC A100 v4 is the nearest.'),
    },
  },
  {
    id: 'nvidia-a100-40gb',
    displayName: 'NVIDIA A100 (40 GB)',
    memoryGiB: 40,
    offerings: {
      aws: {
        offers: family([{ type: 'p4d.24xlarge', gpus: 8, vcpus: 96, memoryGiB: 1152, onDemand: 21.9576 }], 0.55, 0.7),
      },
      gcp: {
        acceleratorType: 'nvidia-tesla-a100',
        offers: family(
          [
            { type: 'a2-highgpu-1g', gpus: 1, vcpus: 12, memoryGiB: 85, onDemand: 3.6734 },
            { type: 'a2-highgpu-2g', gpus: 2, vcpus: 24, memoryGiB: 170, onDemand: 7.3468 },
            { type: 'a2-highgpu-4g', gpus: 4, vcpus: 48, memoryGiB: 340, onDemand: 14.6935 },
            { type: 'a2-highgpu-8g', gpus: 8, vcpus: 96, memoryGiB: 680, onDemand: 29.3871 },
          ],
          0.35,
          0.63,
        ),
      },
      azure: {
        offers: family([{ type: 'Standard_ND96asr_v4', gpus: 8, vcpus: 96, memoryGiB: 900, onDemand: 27.197 }], 0.4, 0.62),
      },
    },
  },
  {
    id: 'nvidia-a100-80gb',
    displayName: 'NVIDIA A100 (80 GB)',
    memoryGiB: 80,
    offerings: {
      aws: {
        offers: family([{ type: 'p4de.24xlarge', gpus: 8, vcpus: 96, memoryGiB: 1152, onDemand: 27.447 }], 0.55, 0.7),
      },
      gcp: {
        acceleratorType: 'nvidia-a100-80gb',
        offers: family(
          [
            { type: 'a2-ultragpu-1g', gpus: 1, vcpus: 12, memoryGiB: 170, onDemand: 5.069 },
            { type: 'a2-ultragpu-2g', gpus: 2, vcpus: 24, memoryGiB: 340, onDemand: 10.1381 },
            { type: 'a2-ultragpu-4g', gpus: 4, vcpus: 48, memoryGiB: 680, onDemand: 20.2761 },
            { type: 'a2-ultragpu-8g', gpus: 8, vcpus: 96, memoryGiB: 1360, onDemand: 40.5522 },
          ],
          0.35,
          0.63,
        ),
      },
      azure: {
        offers: family(
          [
            { type: 'Standard_NC24ads_A100_v4', gpus: 1, vcpus: 24, memoryGiB: 220, onDemand: 3.673 },
            { type: 'Standard_NC48ads_A100_v4', gpus: 2, vcpus: 48, memoryGiB: 440, onDemand: 7.346 },
            { type: 'Standard_NC96ads_A100_v4', gpus: 4, vcpus: 96, memoryGiB: 880, onDemand: 14.692 },
            { type: 'Standard_ND96amsr_A100_v4', gpus: 8, vcpus: 96, memoryGiB: 1900, onDemand: 32.77 },
          ],
          0.4,
          0.62,
        ),
      },
    },
  },
  {
    id: 'nvidia-h100',
    displayName: 'NVIDIA H100 (80 GB)',
    memoryGiB: 80,
    offerings: {
      aws: {
        offers: family(
          [
            { type: 'p5.4xlarge', gpus: 1, vcpus: 16, memoryGiB: 256, onDemand: 6.88 },
            { type: 'p5.48xlarge', gpus: 8, vcpus: 192, memoryGiB: 2048, onDemand: 55.04 },
          ],
          0.6,
          0.72,
        ),
      },
      gcp: {
        acceleratorType: 'nvidia-h100-80gb',
        offers: family([{ type: 'a3-highgpu-8g', gpus: 8, vcpus: 208, memoryGiB: 1872, onDemand: 88.2487 }], 0.4, 0.63),
      },
      azure: {
        note: 'The NC H100 v5 sizes carry the H100 NVL (94 GB); ND H100 v5 the SXM H100 (80 GB). Azure sells no spot capacity of either.',
        offers: family(
          [
            { type: 'Standard_NC40ads_H100_v5', gpus: 1, vcpus: 40, memoryGiB: 320, onDemand: 6.98 },
            { type: 'Standard_NC80adis_H100_v5', gpus: 2, vcpus: 80, memoryGiB: 640, onDemand: 13.96 },
            { type: 'Standard_ND96isr_H100_v5', gpus: 8, vcpus: 96, memoryGiB: 1900, onDemand: 98.32 },
          ],
          undefined,
          0.62,
        ),
      },
    },
  },
  {
    id: 'nvidia-h200',
    displayName: 'NVIDIA H200 (141 GB)',
    memoryGiB: 141,
    offerings: {
      aws: {
        offers: family([{ type: 'p5en.48xlarge', gpus: 8, vcpus: 192, memoryGiB: 2048, onDemand: 63.296 }], 0.6, 0.72),
      },
      gcp: {
        acceleratorType: 'nvidia-h200-141gb',
        offers: family([{ type: 'a3-ultragpu-8g', gpus: 8, vcpus: 224, memoryGiB: 2952, onDemand: 84.806 }], 0.4, 0.63),
      },
      azure: {
        offers: family([{ type: 'Standard_ND96isr_H200_v5', gpus: 8, vcpus: 96, memoryGiB: 1850, onDemand: 110.24 }], undefined, 0.62),
      },
    },
  },
];

const BY_ID = new Map(ACCELERATORS.map((a) => [a.id, a]));

/** Every accelerator in the catalog. */
export function allAccelerators(): readonly AcceleratorSpec[] {
  return ACCELERATORS;
}

export function findAccelerator(id: string): AcceleratorSpec | undefined {
  return BY_ID.get(id);
}

/** Accelerator counts per replica this cloud offers for the accelerator, ascending. */
export function offeredCounts(spec: AcceleratorSpec, cloud: Cloud): number[] {
  return [...new Set(spec.offerings[cloud].offers.map((o) => o.gpus))].sort((a, b) => a - b);
}

/**
 * Instance types carrying exactly `gpus` accelerators, cheapest first. The first is the primary type
 * (priced in estimates); the rest diversify spot capacity.
 */
export function offersFor(spec: AcceleratorSpec, cloud: Cloud, gpus: number): InstanceOffer[] {
  return spec.offerings[cloud].offers.filter((o) => o.gpus === gpus).sort((a, b) => a.onDemandHourlyUsd - b.onDemandHourlyUsd);
}
