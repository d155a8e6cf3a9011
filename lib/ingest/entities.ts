/**
 * The named character references that occur in real documents. The full HTML table has over 2,000
 * names; an unknown one is kept literally, which loses nothing a reader needs.
 */
const NAMED: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '\u00a9', reg: '\u00ae', trade: '\u2122',
  hellip: '\u2026', mdash: '\u2014', ndash: '\u2013', lsquo: '\u2018', rsquo: '\u2019', sbquo: '\u201a', ldquo: '\u201c',
  rdquo: '\u201d', bdquo: '\u201e', bull: '\u2022', middot: '\u00b7', deg: '\u00b0', euro: '\u20ac', pound: '\u00a3',
  yen: '\u00a5', cent: '\u00a2', sect: '\u00a7', para: '\u00b6', times: '\u00d7', divide: '\u00f7', laquo: '\u00ab',
  raquo: '\u00bb', shy: '\u00ad', ensp: '\u2002', emsp: '\u2003', thinsp: '\u2009', zwj: '\u200d', zwnj: '\u200c',
  plusmn: '\u00b1', micro: '\u00b5', frac12: '\u00bd', frac14: '\u00bc', frac34: '\u00be', larr: '\u2190', rarr: '\u2192',
  uarr: '\u2191', darr: '\u2193', harr: '\u2194', le: '\u2264', ge: '\u2265', ne: '\u2260', minus: '\u2212', infin: '\u221e',
  eacute: '\u00e9', egrave: '\u00e8', agrave: '\u00e0', aacute: '\u00e1', uuml: '\u00fc', ouml: '\u00f6', auml: '\u00e4',
  Uuml: '\u00dc', Ouml: '\u00d6', Auml: '\u00c4', szlig: '\u00df', ccedil: '\u00e7', ntilde: '\u00f1', iexcl: '\u00a1', iquest: '\u00bf',
};

/** Longest name in the table: past it, no ';' can close a known name. */
const MAX_NAME = 10;

/**
 * Decodes the character reference at `text[i] === '&'`, returning the text and the index after it,
 * or undefined when it is not one (the '&' is then literal).
 */
export function decodeEntity(text: string, i: number): { value: string; next: number } | undefined {
  let j = i + 1;
  if (text.charCodeAt(j) === 0x23 /* # */) {
    j++;
    const hex = text.charCodeAt(j) === 0x78 || text.charCodeAt(j) === 0x58;
    if (hex) j++;
    const digitsFrom = j;
    let code = 0;
    for (; j < text.length; j++) {
      const d = hex ? parseInt(text[j], 16) : text.charCodeAt(j) - 0x30;
      if (Number.isNaN(d) || d < 0 || d > (hex ? 15 : 9)) break;
      // Saturate: an absurdly long number must not overflow into a valid code point.
      code = Math.min(code * (hex ? 16 : 10) + d, 0x110000);
    }
    if (j === digitsFrom) return undefined;
    if (text.charCodeAt(j) === 0x3b /* ; */) j++;
    const invalid = code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff);
    return { value: invalid ? '\ufffd' : String.fromCodePoint(code), next: j };
  }
  const limit = Math.min(text.length, j + MAX_NAME + 1);
  for (; j < limit; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x3b) {
      const value = NAMED[text.slice(i + 1, j)];
      return value === undefined ? undefined : { value, next: j + 1 };
    }
    const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (!alnum) break;
  }
  return undefined;
}
