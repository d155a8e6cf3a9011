import { VECTOR_STORE_DEFAULTS, type ChunkingDesign } from '../design/vector-store';
import { alignBack, snapEnd, snapStart } from './boundaries';
import type { WorkMeter } from './meter';
import { sliceTokens, tokenPrefix, TOKEN_UNIT } from './tokens';

/**
 * One piece of a document, as embedded. Its id in the index is not here: `chunkId` in run.ts derives
 * it from the document, the document's content hash and `index`, the one scheme every index uses.
 */
export interface Chunk {
  readonly docId: string;
  /** Position in the document, from 0. */
  readonly index: number;
  /** UTF-16 offsets of the chunk in the extracted text: `text === source.slice(start, end)`. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** Estimated tokens (`countTokens`), at most the chunk size. */
  readonly tokens: number;
  /** UTF-16 units at the start of this chunk repeated from the previous one (0 for the first). */
  readonly overlap: number;
}

export interface ChunkOptions extends Pick<ChunkingDesign, 'strategy' | 'maxTokens' | 'overlapPercent'> {
  /**
   * Input limit of the embedding model. Fixed chunks are cut to it even when `maxTokens` is larger;
   * with `none`, a document above it is an error rather than a chunk the model would truncate.
   */
  readonly modelMaxTokens?: number;
  readonly meter?: WorkMeter;
}

/** A chunk needs room for the widest character (4 tokens) and some text around it. */
const MIN_CHUNK_TOKENS = 8;

/** Splits a document's extracted text into chunks per the design's chunking (`fixed` or `none`). */
export function chunkText(docId: string, text: string, options: ChunkOptions = {}): Chunk[] {
  const d = VECTOR_STORE_DEFAULTS.chunking;
  const strategy = options.strategy ?? d.strategy;
  if (strategy === 'hierarchical' || strategy === 'semantic') {
    throw new Error(`'${strategy}' chunking is done by Bedrock knowledge bases (AWS) only; the ingestion runtime supports 'fixed' and 'none'`);
  }
  if (text.length === 0) return [];
  const prefix = tokenPrefix(text);
  if (options.meter) options.meter.steps += text.length;
  if (strategy === 'none') {
    const tokens = sliceTokens(text, prefix, 0, text.length);
    if (options.modelMaxTokens !== undefined && tokens > options.modelMaxTokens) {
      throw new Error(`document '${docId}' has ~${tokens} tokens, more than the embedding model takes (${options.modelMaxTokens}); use 'fixed' chunking`);
    }
    return [{ docId, index: 0, start: 0, end: text.length, text, tokens, overlap: 0 }];
  }
  const maxTokens = Math.min(options.maxTokens ?? d.maxTokens, options.modelMaxTokens ?? Infinity);
  const overlapPercent = options.overlapPercent ?? d.overlapPercent;
  if (!Number.isInteger(maxTokens) || maxTokens < MIN_CHUNK_TOKENS) throw new RangeError(`maxTokens must be a whole number >= ${MIN_CHUNK_TOKENS} (got ${maxTokens})`);
  if (!(overlapPercent >= 0 && overlapPercent <= 99)) throw new RangeError(`overlapPercent must be 0-99 (got ${overlapPercent})`);
  return fixedChunks(docId, text, prefix, maxTokens, Math.floor((maxTokens * overlapPercent) / 100), options.meter);
}

function fixedChunks(docId: string, text: string, prefix: Float64Array, max: number, overlap: number, meter?: WorkMeter): Chunk[] {
  const n = text.length;
  const tokens = (a: number, b: number): number => sliceTokens(text, prefix, a, b);
  const step = (): void => {
    if (meter) meter.steps++;
  };
  // A cut is only moved back to a boundary while the chunk keeps half of what it adds beyond the
  // overlap; otherwise chunks could shrink to the overlap and advance a character at a time.
  const floorTokens = overlap + Math.ceil((max - overlap) / 2);
  const chunks: Chunk[] = [];
  let start = 0;
  let prevEnd = 0;
  for (;;) {
    let end: number;
    if (tokens(start, n) <= max) end = n;
    else {
      const maxEnd = alignBack(text, lastFitting(start, max));
      const floor = firstReaching(start, floorTokens);
      end = snapEnd(text, Math.min(floor, maxEnd - 1), maxEnd, meter);
    }
    const chunkTextValue = text.slice(start, end);
    chunks.push({ docId, index: chunks.length, start, end, text: chunkTextValue, tokens: tokens(start, end), overlap: prevEnd - start });
    if (end === n) return chunks;
    prevEnd = end;
    let next = end;
    if (overlap > 0) {
      next = overlapStart(start + 1, end, overlap);
      next = snapStart(text, next, next + Math.floor((end - next) / 2), meter);
    }
    start = Math.max(next, start + 1);
  }

  /** Largest e in (start, n] with tokens(start, e) <= budget; weights are >= 0, so bisection holds. */
  function lastFitting(from: number, budget: number): number {
    let lo = from + 1;
    let hi = n;
    while (lo < hi) {
      step();
      const mid = (lo + hi + 1) >>> 1;
      if (tokens(from, mid) <= budget) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Smallest e > from with tokens(from, e) >= target (n if none). */
  function firstReaching(from: number, target: number): number {
    let lo = from + 1;
    let hi = n;
    while (lo < hi) {
      step();
      const mid = (lo + hi) >>> 1;
      if (tokens(from, mid) >= target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Smallest s in [lo, end] whose slice [s, end) has at most `budget` tokens. */
  function overlapStart(lo: number, end: number, budget: number): number {
    let hi = end;
    const limit = budget * TOKEN_UNIT;
    while (lo < hi) {
      step();
      const mid = (lo + hi) >>> 1;
      if (prefix[end] - prefix[mid] <= limit) hi = mid;
      else lo = mid + 1;
    }
    // Re-pricing the first unit alone can add a few tokens; walk forward past them.
    while (lo < end && tokens(lo, end) > budget) {
      step();
      lo++;
    }
    return lo;
  }
}
