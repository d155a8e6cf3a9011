/** What an embedding call returns: one vector per input, in input order, and the tokens billed. */
export interface EmbeddingResult {
  readonly vectors: number[][];
  readonly tokens: number;
}

/** One provider's embedding call on one batch (already within the provider's limits). */
export interface BatchEmbedder {
  /** Label for errors, e.g. `vertex text-embedding-005`. */
  readonly where: string;
  /** Most inputs the provider takes in one request. */
  readonly maxBatchTexts: number;
  /** Most tokens (summed over inputs) the provider takes in one request. */
  readonly maxBatchTokens: number;
  embedBatch(texts: readonly string[]): Promise<EmbeddingResult>;
}

/** An embedding call failed for good: names the batch and the HTTP status, never the texts. */
export class EmbeddingError extends Error {
  constructor(
    message: string,
    public readonly status?: number,
  ) {
    super(message);
    this.name = 'EmbeddingError';
  }
}
