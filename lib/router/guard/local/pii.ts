import { isIPv6 } from 'node:net';
import type { PiiEntity } from '../../../design/guardrails';
import { ibanValid, IBAN_LENGTHS, luhnValid } from './checksums';
import type { Work } from './work';
import { ROUTER_LOCAL_PII_ENTITIES } from '../../../design/guardrails';

/**
 * The PII the router finds by itself, before any paid call: each entity a hand-written scanner
 * that reads a bounded stretch from each place it could start, so a scan is linear in the text
 * whatever it holds (a regex engine backtracks: `[a-z.]+@` over a megabyte of `a` is quadratic).
 *
 * The scanners are conservative: a value is masked only in a form that is that entity and little
 * else — a card number passes the Luhn check, an IBAN its country's length and the mod-97 check,
 * an SSN is written with its separators and valid area, group and serial, a passport number follows
 * the word "passport". NAME and ADDRESS have no such form: a regex finds them only with many misses
 * and false hits, so they are left to the cloud guard (Bedrock's sensitive information filter,
 * Model Armor's Sensitive Data Protection); Azure Content Safety has none.
 */

/** Entities the local scanners can find; the design's others (NAME, ADDRESS) are the cloud guard's. */
export const LOCAL_PII_ENTITIES: readonly PiiEntity[] = ROUTER_LOCAL_PII_ENTITIES;

export interface PiiSpan {
  readonly start: number;
  readonly end: number;
  readonly entity: PiiEntity;
}

/** Every span of the wanted entities, non-overlapping, in text order. */
export function findPii(text: string, entities: ReadonlySet<PiiEntity>, work: Work): PiiSpan[] {
  const found: PiiSpan[] = [];
  const add = (start: number, end: number, entity: PiiEntity) => found.push({ start, end, entity });
  if (entities.has('EMAIL')) scanEmails(text, work, add);
  const numeric = ['PHONE', 'CREDIT_DEBIT_CARD_NUMBER', 'US_SOCIAL_SECURITY_NUMBER', 'IP_ADDRESS'].some((e) => entities.has(e as PiiEntity));
  if (numeric) scanNumbers(text, entities, work, add);
  if (entities.has('IP_ADDRESS')) scanIpv6(text, work, add);
  if (entities.has('IBAN')) scanIbans(text, work, add);
  if (entities.has('PASSPORT_NUMBER')) scanPassports(text, work, add);
  return resolveOverlaps(found);
}

/** `text` with each span replaced by `{ENTITY}` (Bedrock's ANONYMIZE form). */
export function maskSpans(text: string, spans: readonly PiiSpan[]): string {
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += `${text.slice(at, s.start)}{${s.entity}}`;
    at = s.end;
  }
  return out + text.slice(at);
}

type Add = (start: number, end: number, entity: PiiEntity) => void;

/** The earliest span first, the longer of two that start together; a span inside an earlier one is dropped. */
function resolveOverlaps(spans: PiiSpan[]): PiiSpan[] {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: PiiSpan[] = [];
  let reached = -1;
  for (const s of spans) {
    if (s.start < reached) continue;
    out.push(s);
    reached = s.end;
  }
  return out;
}

const code = (text: string, i: number): number => (i >= 0 && i < text.length ? text.charCodeAt(i) : -1);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isAsciiLetter = (c: number) => (c | 0x20) >= 97 && (c | 0x20) <= 122;
const isAlnum = (c: number) => isDigit(c) || isAsciiLetter(c);
const isHex = (c: number) => isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
/** A letter or digit of any script: a value glued to one is part of a longer word, not PII. */
const isWordChar = (text: string, i: number): boolean => {
  const c = code(text, i);
  if (c < 0) return false;
  if (c < 0x80) return isAlnum(c) || c === 95;
  return /[\p{L}\p{N}]/u.test(text[i]);
};

/**
 * True when nothing glues a value ending at `end` to more of the same: no letter or digit next,
 * and no `-`/`.` followed by a digit (`123-45-6789-0` is not an SSN, `1.2.3.4.5` not an address).
 */
function cleanEnd(text: string, end: number): boolean {
  if (isWordChar(text, end)) return false;
  const c = code(text, end);
  return !((c === 45 || c === 46) && isDigit(code(text, end + 1)));
}

/** The mirror of `cleanEnd` before a value starting at `start`. */
function cleanStart(text: string, start: number): boolean {
  if (isWordChar(text, start - 1)) return false;
  const c = code(text, start - 1);
  return !((c === 45 || c === 46) && isDigit(code(text, start - 2)));
}

// --- EMAIL ---------------------------------------------------------------------------------

const LOCAL_MAX = 64;
const DOMAIN_MAX = 253;
const isLocalChar = (c: number) => isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45; // . _ % + -
const isDomainChar = (c: number) => isAlnum(c) || c === 46 || c === 45;

/** From each `@`, at most 64 characters back and 253 on: neither side crosses another `@`. */
function scanEmails(text: string, work: Work, add: Add): void {
  let from = 0;
  for (;;) {
    const at = text.indexOf('@', from);
    if (at < 0) return;
    work.steps += at - from + 1;
    from = at + 1;
    let start = at;
    while (start > 0 && at - start < LOCAL_MAX && isLocalChar(code(text, start - 1))) {
      start--;
      work.steps++;
    }
    if (start > 0 && isLocalChar(code(text, start - 1))) continue; // a local part over 64 characters
    while (code(text, start) === 46) start++;
    if (start === at || isWordChar(text, start - 1)) continue;
    let end = at + 1;
    while (end < text.length && end - at - 1 < DOMAIN_MAX && isDomainChar(code(text, end))) {
      end++;
      work.steps++;
    }
    while (end > at + 1 && (code(text, end - 1) === 46 || code(text, end - 1) === 45)) end--; // a sentence's full stop
    const domain = text.slice(at + 1, end);
    const labels = domain.split('.');
    const tld = labels[labels.length - 1];
    const ok =
      labels.length >= 2 &&
      labels.every((l) => l.length >= 1 && l.length <= 63 && l[0] !== '-' && l[l.length - 1] !== '-') &&
      /^[A-Za-z]{2,63}$/.test(tld) && // at most 63 characters: a bounded regex
      !isWordChar(text, end);
    if (!ok) continue;
    add(start, end, 'EMAIL');
    from = end;
  }
}

// --- numbers: cards, SSNs, phones, IPv4 ----------------------------------------------------

/**
 * One pass; a number can start at a digit, `+` or `(` with no letter or digit before it, and each
 * entity's reader looks at most ~25 characters from there. After a match the scan resumes past it.
 */
function scanNumbers(text: string, entities: ReadonlySet<PiiEntity>, work: Work, add: Add): void {
  const readers: Array<[PiiEntity, (text: string, i: number, work: Work) => number]> = [];
  // Order breaks ties between readers that match the same length at the same place.
  if (entities.has('CREDIT_DEBIT_CARD_NUMBER')) readers.push(['CREDIT_DEBIT_CARD_NUMBER', readCard]);
  if (entities.has('US_SOCIAL_SECURITY_NUMBER')) readers.push(['US_SOCIAL_SECURITY_NUMBER', readSsn]);
  if (entities.has('IP_ADDRESS')) readers.push(['IP_ADDRESS', readIpv4]);
  if (entities.has('PHONE')) readers.push(['PHONE', readPhone]);
  for (let i = 0; i < text.length; i++) {
    work.steps++;
    const c = text.charCodeAt(i);
    if (!(isDigit(c) || c === 43 || c === 40) || !cleanStart(text, i)) continue;
    let best = -1;
    let entity: PiiEntity | undefined;
    for (const [e, read] of readers) {
      const end = read(text, i, work);
      if (end > best) {
        best = end;
        entity = e;
      }
    }
    if (entity !== undefined && best > i) {
      add(i, best, entity);
      i = best - 1;
    }
  }
}

/** 13-19 digits, first 2-6 (the card networks), in groups split by one space or one dash, passing Luhn. */
function readCard(text: string, i: number, work: Work): number {
  const first = code(text, i);
  if (first < 50 || first > 54) return -1;
  let digits = '';
  let sep = -1;
  let best = -1;
  let j = i;
  while (digits.length < 19) {
    const c = code(text, j);
    work.steps++;
    if (isDigit(c)) {
      digits += text[j];
      j++;
      const n = digits.length;
      if (n >= 13 && !isDigit(code(text, j)) && cleanEnd(text, j) && luhnValid(digits)) best = j;
      continue;
    }
    if ((c === 32 || c === 45) && (sep < 0 || sep === c) && isDigit(code(text, j + 1)) && digits.length > 0) {
      sep = c;
      j++;
      continue;
    }
    break;
  }
  // Any end where another separator and digit follow is the prefix of a longer number: keep it
  // only when the number stops there.
  return best;
}

/** `ddd-dd-dddd` or `ddd dd dddd`: area not 000, 666 or 9xx; group not 00; serial not 0000. */
function readSsn(text: string, i: number, work: Work): number {
  work.steps += 11;
  if (i + 11 > text.length) return -1;
  const s = text.slice(i, i + 11);
  const sep = s.charCodeAt(3);
  if ((sep !== 45 && sep !== 32) || s.charCodeAt(6) !== sep) return -1;
  for (const k of [0, 1, 2, 4, 5, 7, 8, 9, 10]) if (!isDigit(s.charCodeAt(k))) return -1;
  const area = s.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9' || s.slice(4, 6) === '00' || s.slice(7) === '0000') return -1;
  return cleanEnd(text, i + 11) ? i + 11 : -1;
}

/** Four dotted octets 0-255 without leading zeros. */
function readIpv4(text: string, i: number, work: Work): number {
  let j = i;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (code(text, j) !== 46) return -1;
      j++;
    }
    const from = j;
    while (j - from < 3 && isDigit(code(text, j))) {
      j++;
      work.steps++;
    }
    const octet = text.slice(from, j);
    if (octet === '' || isDigit(code(text, j)) || (octet.length > 1 && octet[0] === '0') || Number(octet) > 255) return -1;
  }
  return cleanEnd(text, j) ? j : -1;
}

/**
 * `+` and 8-15 digits in groups (spaces, dashes, dots, one parenthesized group: E.164 as people
 * write it), or a North American number `(ddd) ddd-dddd` / `ddd-ddd-dddd` / `ddd.ddd.dddd` /
 * `ddd ddd dddd` (area and exchange starting 2-9), optionally after `1-`. A bare run of digits is
 * not taken for a phone: too many other numbers look like one.
 */
function readPhone(text: string, i: number, work: Work): number {
  return code(text, i) === 43 ? readInternational(text, i, work) : readNorthAmerican(text, i, work);
}

function readInternational(text: string, i: number, work: Work): number {
  let j = i + 1;
  let digits = 0;
  let paren = false;
  let best = -1;
  while (j - i <= 24) {
    const c = code(text, j);
    work.steps++;
    if (isDigit(c)) {
      digits++;
      j++;
      if (digits >= 8 && digits <= 15 && !isDigit(code(text, j)) && cleanEnd(text, j)) best = j;
      if (digits > 15) return -1;
      continue;
    }
    const next = code(text, j + 1);
    if ((c === 32 || c === 45 || c === 46) && (isDigit(next) || next === 40) && digits > 0) j++;
    else if (c === 40 && !paren && isDigit(next)) {
      let close = j + 1;
      while (close - j <= 5 && isDigit(code(text, close))) close++;
      if (code(text, close) !== 41) return best; // only a short group, such as (0), is parenthesized
      paren = true;
      j++;
    } else if (c === 41 && paren) j++;
    else break;
  }
  return best;
}

function readNorthAmerican(text: string, i: number, work: Work): number {
  work.steps += 16;
  let j = i;
  if (code(text, j) === 49 && (code(text, j + 1) === 45 || code(text, j + 1) === 32 || code(text, j + 1) === 46)) j += 2;
  if (code(text, j) === 40) {
    if (!digitsAt(text, j + 1, 3) || code(text, j + 4) !== 41) return -1;
    if (!areaOk(text, j + 1)) return -1;
    j += 5;
    if (code(text, j) === 32) j++;
    if (!digitsAt(text, j, 3) || !areaOk(text, j)) return -1;
    j += 3;
    const c = code(text, j);
    if (c !== 45 && c !== 46 && c !== 32) return -1;
    j++;
  } else {
    if (!digitsAt(text, j, 3) || !areaOk(text, j)) return -1;
    j += 3;
    const sep = code(text, j);
    if (sep !== 45 && sep !== 46 && sep !== 32) return -1;
    j++;
    if (!digitsAt(text, j, 3) || !areaOk(text, j) || code(text, j + 3) !== sep) return -1;
    j += 4;
  }
  if (!digitsAt(text, j, 4)) return -1;
  j += 4;
  return cleanEnd(text, j) ? j : -1;
}

const digitsAt = (text: string, i: number, n: number): boolean => {
  for (let k = 0; k < n; k++) if (!isDigit(code(text, i + k))) return false;
  return true;
};
const areaOk = (text: string, i: number) => code(text, i) >= 50; // 2-9: NANP area codes and exchanges

// --- IPv6 ----------------------------------------------------------------------------------

const IPV6_MAX = 45;
const isIpv6Char = (c: number) => isHex(c) || c === 58 || c === 46;

/**
 * Each maximal run of hex digits, colons and dots that starts a word is read once: at most 45
 * characters (the longest IPv6 text form, with an embedded IPv4), checked by node's own parser.
 * A run over 45 is skipped whole, so a megabyte of hex is one pass.
 */
function scanIpv6(text: string, work: Work, add: Add): void {
  for (let i = 0; i < text.length; i++) {
    work.steps++;
    const c = text.charCodeAt(i);
    if (!isIpv6Char(c) || !cleanStart(text, i) || code(text, i - 1) === 58) continue;
    let end = i;
    let colons = 0;
    while (end < text.length && isIpv6Char(code(text, end))) {
      if (code(text, end) === 58) colons++;
      end++;
      work.steps++;
    }
    const runEnd = end;
    while (end > i && code(text, end - 1) === 46) end--; // a sentence's full stop
    if (colons >= 2 && end - i <= IPV6_MAX && !isWordChar(text, runEnd) && isIPv6(text.slice(i, end))) add(i, end, 'IP_ADDRESS');
    i = runEnd - 1;
  }
}

// --- IBAN ----------------------------------------------------------------------------------

/** Country code, two check digits, then the country's length of letters and digits, optionally in groups of four. */
function scanIbans(text: string, work: Work, add: Add): void {
  for (let i = 0; i + 4 <= text.length; i++) {
    work.steps++;
    if (!isAsciiLetter(code(text, i)) || !cleanStart(text, i)) continue;
    const length = IBAN_LENGTHS[text.slice(i, i + 2).toUpperCase()];
    if (length === undefined || !isAsciiLetter(code(text, i + 1)) || !isDigit(code(text, i + 2)) || !isDigit(code(text, i + 3))) continue;
    let compact = '';
    let j = i;
    while (compact.length < length) {
      work.steps++;
      const c = code(text, j);
      if (isAlnum(c)) {
        compact += text[j];
        j++;
      } else if (c === 32 && compact.length % 4 === 0 && compact.length > 0 && isAlnum(code(text, j + 1))) j++;
      else break;
    }
    if (compact.length === length && !isWordChar(text, j) && ibanValid(compact)) {
      add(i, j, 'IBAN');
      i = j - 1;
    }
  }
}

// --- PASSPORT_NUMBER -----------------------------------------------------------------------

const PASSPORT = 'passport';
const FILLER = new Set(['no', 'nr', 'num', 'number', 'id']);

/**
 * Only after the word "passport" (any case), optionally "no", "number", "#" or ":", within 24
 * characters: 6-9 letters and digits with at least one digit. Without the word, a passport number
 * is any short code.
 */
function scanPassports(text: string, work: Work, add: Add): void {
  for (let i = 0; i + PASSPORT.length <= text.length; i++) {
    work.steps++;
    if ((code(text, i) | 0x20) !== 112 || isWordChar(text, i - 1)) continue;
    let k = 1;
    while (k < PASSPORT.length && (code(text, i + k) | 0x20) === PASSPORT.charCodeAt(k)) k++;
    work.steps += k;
    if (k < PASSPORT.length) continue;
    let j = i + PASSPORT.length;
    if ((code(text, j) | 0x20) === 115) j++; // passports
    const limit = j + 24;
    for (;;) {
      while (j < limit && [32, 9, 58, 35, 46, 45].includes(code(text, j))) j++;
      let w = j;
      while (w < limit && isAsciiLetter(code(text, w))) w++;
      if (w > j && FILLER.has(text.slice(j, w).toLowerCase()) && !isDigit(code(text, w))) j = w;
      else break;
    }
    work.steps += j - i;
    let end = j;
    let hasDigit = false;
    while (end - j < 10 && isAlnum(code(text, end))) {
      if (isDigit(code(text, end))) hasDigit = true;
      end++;
    }
    const n = end - j;
    if (n >= 6 && n <= 9 && hasDigit && !isWordChar(text, end)) {
      add(j, end, 'PASSPORT_NUMBER');
      i = end - 1;
    }
  }
}
