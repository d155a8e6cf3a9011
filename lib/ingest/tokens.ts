/**
 * Token counting without a tokenizer. The embedding models we target tokenize differently (Titan's
 * own vocabulary, Vertex's SentencePiece with byte fallback, Azure OpenAI's byte-level BPE
 * cl100k_base), and shipping three vocabularies would weigh megabytes, so the count is an estimate
 * built to err high:
 *
 * - a non-ASCII code point counts as many tokens as its UTF-8 bytes (1 per byte: 2-3 for CJK, 4 for
 *   an emoji). Byte-level BPE never makes a token of less than one byte and byte fallback spends at
 *   most one token per byte, so no tokenizer of that family can exceed this.
 * - ASCII punctuation and symbols count 1 each (they are one byte, so at most one token).
 * - digits count 1 each: SentencePiece vocabularies of the Gemini family split numbers digit by digit.
 * - a run of ASCII letters counts 1 for its first letter and 1/3 for each further one; a run restarts
 *   at a lowercase-to-uppercase change, so camelCase, base64 and hex (letters between digits) are
 *   charged nearly per piece. English averages over 4 letters per token, so this overcounts prose by
 *   about 1.5x while staying above the 2-3 letters per token of random identifiers.
 * - the first whitespace character after a non-space is free (BPE and SentencePiece both fold one
 *   leading space into the next word's token); further whitespace counts 1/4 (vocabularies carry
 *   runs of spaces for indentation), and a newline counts 1.
 *
 * UTF-8 bytes / 3 was rejected: it charges an emoji 1.3 tokens where byte fallback spends 4, and a
 * hex digest 1 token per 3 characters where cl100k spends close to 1 per character.
 *
 * Weights are kept in twelfths so every sum is an exact integer and a text's count is
 * ceil(sum / 12). The weight of a character depends only on the character before it, which is what
 * lets the chunker price any slice from prefix sums (see `sliceTokens`).
 */

/** Weight unit: 1 token = 12. */
export const TOKEN_UNIT = 12;

const LETTER_START = 12;
const LETTER_CONT = 4;
const SPACE_CONT = 3;

function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}
function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c || c === 0x0d;
}

/**
 * Weight (in twelfths of a token) of the UTF-16 code unit `c` after the code unit `prev` (-1 at the
 * start of a text).
 */
export function unitWeight(prev: number, c: number): number {
  if (c < 0x80) {
    if (isLower(c) || isUpper(c)) {
      const continues = (isLower(prev) && isLower(c)) || isUpper(prev);
      return continues ? LETTER_CONT : LETTER_START;
    }
    if (c === 0x0a) return TOKEN_UNIT;
    if (isSpace(c)) return prev === -1 || prev === 0x0a || isSpace(prev) ? SPACE_CONT : 0;
    return TOKEN_UNIT; // digits, punctuation, symbols, control characters
  }
  if (c < 0x800) return 2 * TOKEN_UNIT;
  if (c >= 0xd800 && c <= 0xdfff) {
    // A pair is 4 UTF-8 bytes, charged 3 on the high half and 1 on the low; a lone half is sent as
    // U+FFFD (3 bytes), which the high half already pays and a lone low half pays here.
    if (c <= 0xdbff) return 3 * TOKEN_UNIT;
    return prev >= 0xd800 && prev <= 0xdbff ? TOKEN_UNIT : 3 * TOKEN_UNIT;
  }
  return 3 * TOKEN_UNIT;
}

/** Estimated tokens of `text` (never below what the supported embedding tokenizers spend; see above). */
export function countTokens(text: string): number {
  let sum = 0;
  let prev = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    sum += unitWeight(prev, c);
    prev = c;
  }
  return Math.ceil(sum / TOKEN_UNIT);
}

/**
 * Prefix sums of the weights of `text`, so the count of any slice is O(1): `sliceTokens`.
 * Index i holds the weight of text[0, i).
 */
export function tokenPrefix(text: string): Float64Array {
  const p = new Float64Array(text.length + 1);
  let prev = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    p[i + 1] = p[i] + unitWeight(prev, c);
    prev = c;
  }
  return p;
}

/** `countTokens(text.slice(start, end))` from the prefix sums, without rescanning the slice. */
export function sliceTokens(text: string, prefix: Float64Array, start: number, end: number): number {
  if (end <= start) return 0;
  // Only the first unit's weight depends on the text before the slice, so re-price it alone.
  const first = unitWeight(-1, text.charCodeAt(start));
  return Math.ceil((prefix[end] - prefix[start + 1] + first) / TOKEN_UNIT);
}
