import type { Chunk } from '../../lib/ingest/chunk';

/** The document back from its chunks: the first whole, each next one without its overlap. */
export function reassemble(chunks: readonly Chunk[]): string {
  return chunks.map((c, i) => (i === 0 ? c.text : c.text.slice(c.overlap))).join('');
}

export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** True when `s` holds half of a surrogate pair (a character cut in two). */
export function hasLoneSurrogate(s: string): boolean {
  return /\p{Cs}/u.test(s);
}
