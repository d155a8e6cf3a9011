import type { Chunk } from '../../lib/ingest/chunk';
import { countTokens } from '../../lib/ingest/tokens';

/** The document back from its chunks: the first whole, each next one without its overlap. */
export function reassemble(chunks: readonly Chunk[]): string {
  return chunks.map((c, i) => (i === 0 ? c.text : c.text.slice(c.overlap))).join('');
}

/**
 * The document back from the chunks' offsets alone: each chunk contributes its text from where the
 * previous one ended. Throws on a gap (text lost) or a chunk that does not move forward, so a
 * result equal to the source proves nothing was lost and nothing repeated beyond the overlaps.
 */
export function reassembleByOffsets(chunks: readonly Chunk[]): string {
  let out = '';
  let end = 0;
  for (const c of chunks) {
    if (c.start > end) throw new Error(`chunk ${c.index} starts at ${c.start}, after the previous end ${end}: text lost`);
    if (c.end <= end) throw new Error(`chunk ${c.index} ends at ${c.end}, not after the previous end ${end}`);
    if (c.end - c.start !== c.text.length) throw new Error(`chunk ${c.index} spans ${c.end - c.start} units but holds ${c.text.length}`);
    out += c.text.slice(end - c.start);
    end = c.end;
  }
  return out;
}

export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** True when `s` holds half of a surrogate pair (a character cut in two). */
export function hasLoneSurrogate(s: string): boolean {
  return /\p{Cs}/u.test(s);
}

/**
 * Where the overlap of the chunk after [prevStart, prevEnd) starts before it is snapped to a word:
 * the furthest-back start whose text up to `prevEnd` stays within `budget` tokens.
 */
export function unsnappedOverlapStart(text: string, prevStart: number, prevEnd: number, budget: number): number {
  let s = prevEnd;
  while (s - 1 > prevStart && countTokens(text.slice(s - 1, prevEnd)) <= budget) s--;
  return s;
}

/** A word starts at `i`: the text's start, or a non-space after a space. */
export function isWordStart(text: string, i: number): boolean {
  return i === 0 || (/\s/.test(text[i - 1]) && !/\s/.test(text[i]));
}
