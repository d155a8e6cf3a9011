import { decodeEntity } from './entities';
import type { WorkMeter } from './meter';

/** Elements whose content is not text a reader sees. */
const DROPPED = new Set(['script', 'style', 'template', 'noscript', 'svg', 'math', 'iframe', 'object']);
/** Elements that end a line. */
const LINE = new Set(['br', 'li', 'tr', 'dt', 'dd', 'option', 'caption', 'figcaption', 'summary', 'legend']);
/** Elements that end a paragraph, so the chunker can cut between them. */
const PARAGRAPH = new Set([
  'p', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'dl', 'table', 'thead', 'tbody', 'tfoot', 'blockquote',
  'pre', 'hr', 'section', 'article', 'header', 'footer', 'nav', 'aside', 'main', 'figure', 'form', 'fieldset',
  'address', 'details', 'title', 'body', 'html', 'head',
]);
/** Cells are separated, not broken, so a table row stays one line. */
const CELL = new Set(['td', 'th']);

function isWhite(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d || c === 0x0c;
}
function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * Collects text, folding whitespace as a browser renders it: runs become one space, and the breaks
 * owed by block elements are written only before the next visible text, so nesting never stacks
 * empty lines.
 */
class Output {
  private readonly parts: string[] = [];
  private empty = true;
  private pendingBreak = 0; // 0 none, 1 line, 2 paragraph
  private pendingSpace = false;

  text(s: string, pre: boolean): void {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (pre && c === 0x0a) this.brk(1);
      else if (isWhite(c) && !pre) this.pendingSpace = true;
      else this.char(s[i]);
    }
  }
  char(ch: string): void {
    if (!this.empty) {
      if (this.pendingBreak) this.parts.push(this.pendingBreak === 2 ? '\n\n' : '\n');
      else if (this.pendingSpace) this.parts.push(' ');
    }
    this.pendingBreak = 0;
    this.pendingSpace = false;
    this.empty = false;
    this.parts.push(ch);
  }
  brk(level: number): void {
    this.pendingBreak = Math.max(this.pendingBreak, level);
  }
  space(): void {
    this.pendingSpace = true;
  }
  result(): string {
    return this.parts.join('');
  }
}

/**
 * Visible text of an HTML document. A single forward scan: every index is read a bounded number of
 * times (raw-text elements jump ahead with indexOf, consumed once), so depth of nesting and
 * unterminated constructs cost linear time.
 */
export function htmlToText(html: string, meter?: WorkMeter): string {
  const out = new Output();
  const n = html.length;
  let pre = 0;
  let i = 0;
  let runFrom = 0; // start of pending literal text
  const flush = (to: number): void => {
    if (to > runFrom) out.text(html.slice(runFrom, to), pre > 0);
  };
  while (i < n) {
    if (meter) meter.steps++;
    const at = i;
    const c = html.charCodeAt(i);
    if (c === 0x26 /* & */) {
      const e = decodeEntity(html, i);
      if (e) {
        flush(i);
        for (const ch of e.value) {
          if (ch === '\u00a0') out.char(' ');
          else out.text(ch, pre > 0);
        }
        i = e.next;
        runFrom = i;
        continue;
      }
      i++;
      continue;
    }
    if (c !== 0x3c /* < */) {
      i++;
      continue;
    }
    const d = html.charCodeAt(i + 1);
    if (d === 0x21 /* ! */) {
      flush(i);
      // Comments end at '-->', CDATA at ']]>' (its content is text), a doctype at '>'.
      if (html.startsWith('<!--', i)) i = skipPast(html, '-->', i + 4);
      else if (html.startsWith('<![CDATA[', i)) {
        const close = html.indexOf(']]>', i + 9);
        const end = close === -1 ? n : close;
        out.text(html.slice(i + 9, end), pre > 0);
        i = close === -1 ? n : close + 3;
      } else i = skipPast(html, '>', i + 2);
      if (meter) meter.steps += i - at;
      runFrom = i;
      continue;
    }
    if (d === 0x3f /* ? */) {
      flush(i);
      i = skipPast(html, '>', i + 2);
      if (meter) meter.steps += i - at;
      runFrom = i;
      continue;
    }
    const closing = d === 0x2f;
    const nameFrom = i + (closing ? 2 : 1);
    if (!isAlpha(html.charCodeAt(nameFrom))) {
      i++; // a '<' that starts no tag is text
      continue;
    }
    flush(i);
    let j = nameFrom;
    while (j < n && !isWhite(html.charCodeAt(j)) && html.charCodeAt(j) !== 0x3e && html.charCodeAt(j) !== 0x2f) j++;
    const name = html.slice(nameFrom, j).toLowerCase();
    // Attributes: a '>' inside quotes does not end the tag.
    let quote = 0;
    for (; j < n; j++) {
      const a = html.charCodeAt(j);
      if (quote) {
        if (a === quote) quote = 0;
      } else if (a === 0x22 || a === 0x27) quote = a;
      else if (a === 0x3e) break;
    }
    if (meter) meter.steps += j - i;
    const selfClosing = j > 0 && html.charCodeAt(j - 1) === 0x2f;
    i = j < n ? j + 1 : n; // a tag cut off by the end of the file is dropped, as browsers do
    runFrom = i;
    if (!closing && DROPPED.has(name) && !selfClosing) {
      const from = i;
      i = skipRawText(html, name, i);
      if (meter) meter.steps += i - from;
      runFrom = i;
      out.space();
      continue;
    }
    if (name === 'pre') pre = Math.max(0, pre + (closing ? -1 : selfClosing ? 0 : 1));
    if (PARAGRAPH.has(name)) out.brk(2);
    else if (LINE.has(name)) {
      if (!closing || name !== 'br') out.brk(1);
    } else if (CELL.has(name)) out.space();
    else if (!closing) {
      // An inline element (<img>, <input>) separates no words, and neither does <span>.
    }
  }
  flush(n);
  return out.result();
}

function skipPast(html: string, marker: string, from: number): number {
  const k = html.indexOf(marker, from);
  return k === -1 ? html.length : k + marker.length;
}

/**
 * Index after `</name>` (any case), or the end of the document when it is never closed. Steps from
 * one '</' to the next, so the search reads the element's content once.
 */
function skipRawText(html: string, name: string, from: number): number {
  for (let k = html.indexOf('</', from); k !== -1; k = html.indexOf('</', k + 2)) {
    if (html.slice(k + 2, k + 2 + name.length).toLowerCase() === name) {
      const close = html.indexOf('>', k);
      return close === -1 ? html.length : close + 1;
    }
  }
  return html.length;
}
