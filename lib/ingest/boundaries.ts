import type { WorkMeter } from './meter';

function isWhite(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c || c === 0xa0 || c === 0x3000;
}
function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
/** Full stops of Latin and CJK scripts, after which a sentence ends. */
function isStop(c: number): boolean {
  return c === 0x2e || c === 0x21 || c === 0x3f || c === 0x3002 || c === 0xff01 || c === 0xff1f || c === 0xff0e;
}

/** Moves `i` off the middle of a surrogate pair, to `i - 1`, so a cut never halves a character. */
export function alignBack(text: string, i: number): number {
  return i > 0 && i < text.length && isLow(text.charCodeAt(i)) && isHigh(text.charCodeAt(i - 1)) ? i - 1 : i;
}
/** As `alignBack`, forward. */
export function alignForward(text: string, i: number): number {
  return i > 0 && i < text.length && isLow(text.charCodeAt(i)) && isHigh(text.charCodeAt(i - 1)) ? i + 1 : i;
}

/** How good a cut before `text[i]` is: 4 paragraph, 3 line, 2 sentence, 1 word, 0 none. */
function cutRank(text: string, i: number): number {
  const a = text.charCodeAt(i - 1);
  const b = i >= 2 ? text.charCodeAt(i - 2) : -1;
  if (a === 0x0a) return b === 0x0a ? 4 : 3;
  if (isStop(a) && a >= 0x3000) return 2;
  if (isWhite(a)) {
    if (i < text.length && isWhite(text.charCodeAt(i))) return 0; // keep a run of spaces in one piece
    return isStop(b) ? 2 : 1;
  }
  return 0;
}

/**
 * The best place in (floor, max] to end a chunk: the last paragraph break, else the last line
 * break, sentence end or word break, else `max` itself. Scanning backwards once keeps it linear in
 * the window.
 */
export function snapEnd(text: string, floor: number, max: number, meter?: WorkMeter): number {
  if (max >= text.length) return text.length;
  const best = [-1, -1, -1, -1, -1];
  for (let i = max; i > floor; i--) {
    if (meter) meter.steps++;
    const r = cutRank(text, i);
    if (r > 0 && best[r] === -1) {
      best[r] = i;
      if (r === 4) break;
    }
  }
  for (let r = 4; r >= 1; r--) if (best[r] !== -1) return best[r];
  return alignBack(text, max);
}

/** The first word start in [from, limit), else `from`: an overlap that begins on a whole word. */
export function snapStart(text: string, from: number, limit: number, meter?: WorkMeter): number {
  for (let i = from; i < limit; i++) {
    if (meter) meter.steps++;
    if (i === 0 || (isWhite(text.charCodeAt(i - 1)) && !isWhite(text.charCodeAt(i)))) return i;
  }
  return alignForward(text, from);
}
