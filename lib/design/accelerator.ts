import { allAccelerators, findAccelerator, type AcceleratorSpec } from './catalog/accelerators';

/**
 * A GPU model, with its per-cloud mapping in the accelerator catalog. Use the constants, or
 * `Accelerator.of('nvidia-l4')` for an id read from a file.
 */
export class Accelerator {
  public static readonly NVIDIA_L4 = new Accelerator('nvidia-l4');
  public static readonly NVIDIA_A10G = new Accelerator('nvidia-a10g');
  public static readonly NVIDIA_L40S = new Accelerator('nvidia-l40s');
  public static readonly NVIDIA_A100_40GB = new Accelerator('nvidia-a100-40gb');
  public static readonly NVIDIA_A100_80GB = new Accelerator('nvidia-a100-80gb');
  public static readonly NVIDIA_H100 = new Accelerator('nvidia-h100');
  public static readonly NVIDIA_H200 = new Accelerator('nvidia-h200');

  /** An accelerator by catalog id. Unknown ids are accepted here and reported by design validation. */
  public static of(id: string): Accelerator {
    return new Accelerator(id);
  }

  /** Ids of every accelerator in the catalog. */
  public static ids(): string[] {
    return allAccelerators().map((a) => a.id);
  }

  private constructor(public readonly id: string) {}

  /** The catalog entry, or undefined for an id the catalog does not know. */
  public get spec(): AcceleratorSpec | undefined {
    return findAccelerator(this.id);
  }

  public toString(): string {
    return this.id;
  }

  /** Serializes as its id, so designs written to JSON/YAML round-trip. */
  public toJSON(): string {
    return this.id;
  }
}

/** The id of an accelerator given as an `Accelerator` or as a string id. */
export function acceleratorId(value: Accelerator | string): string {
  return typeof value === 'string' ? value : value.id;
}
