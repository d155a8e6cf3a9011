/**
 * A count of elementary steps, passed in by tests and benchmarks to prove that extraction and
 * chunking stay linear on adversarial input, which a wall clock on a shared machine cannot show.
 */
export interface WorkMeter {
  steps: number;
}
