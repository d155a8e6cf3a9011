/** One thing wrong with a design: where (a path such as `endpoints[1].capacity.max`) and what. */
export interface DesignProblem {
  /** Path of the offending field inside the design, e.g. `endpoints[1].capacity.max`; `(design)` for the design itself. */
  readonly path: string;
  /** What is wrong and what is allowed. */
  readonly message: string;
  /** 1-based line in the source file, when the design was loaded from a file. */
  readonly line?: number;
}

/** The path shown for a problem of the design as a whole (an empty file, a list where a map belongs). */
export const ROOT_PATH = '(design)';

/**
 * Thrown when a design (or a construct prop) is invalid. Lists every problem found, each with its
 * path, so one run shows all that needs fixing.
 */
export class DesignError extends Error {
  public readonly problems: readonly DesignProblem[];

  constructor(problems: readonly DesignProblem[], source?: string) {
    const normalized = problems.map((p) => (p.path ? p : { ...p, path: ROOT_PATH }));
    super(formatProblems(normalized, source));
    this.name = 'DesignError';
    this.problems = normalized;
  }
}

/** The one formatter of problems: `invalid design in <source> (n problems):` then `  - file:line: path: message` per problem. */
export function formatProblems(problems: readonly DesignProblem[], source?: string): string {
  const where = source ? ` in ${source}` : '';
  const lines = problems.map((p) => {
    const at = p.line !== undefined && source ? `${source}:${p.line}: ` : '';
    return `  - ${at}${displayPath(p.path)}: ${p.message}`;
  });
  return `invalid design${where} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
}

/** A path as a message shows it: the root named, control characters escaped so it stays on one line. */
function displayPath(path: string): string {
  if (!path) return ROOT_PATH;
  // eslint-disable-next-line no-control-regex
  return path.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, unicodeEscape);
}

const unicodeEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` as a JSON string literal with every control character escaped (JSON.stringify leaves U+007F-U+009F, U+2028, U+2029). */
function jsonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f\u2028\u2029]/g, unicodeEscape);
}

/** Collects problems during validation; `throwIfAny` raises them together. */
export class Problems {
  private readonly list: DesignProblem[] = [];
  private readonly seen = new Set<string>();

  /**
   * Adds a problem. The empty path (the design itself) is recorded as `(design)`; an exact repeat
   * (same path and message, e.g. a non-finite number that both the shape and a range rule report)
   * is dropped.
   */
  add(path: string, message: string): void {
    const at = path || ROOT_PATH;
    const key = `${at}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ path: at, message });
  }

  /** True when a problem is recorded at `path` already (a rule that would only repeat it can skip it). */
  hasAt(path: string): boolean {
    const at = path === '' ? '(design)' : path;
    return this.list.some((p) => p.path === at);
  }

  get all(): readonly DesignProblem[] {
    return this.list;
  }

  get count(): number {
    return this.list.length;
  }

  throwIfAny(source?: string): void {
    if (this.list.length > 0) throw new DesignError(this.list, source);
  }
}

/**
 * Runs a construct's props validation and throws one `DesignError` naming the construct when it finds
 * anything: the first thing every construct does, before it builds.
 */
export function refuseInvalidProps(constructPath: string, validate: (problems: Problems) => void): void {
  const problems = new Problems();
  validate(problems);
  problems.throwIfAny(`the props of ${constructPath}`);
}

/** Longest key written into a path as it is; the rest is cut (the same limit as `QUOTE_LIMIT` in quote.ts). */
const PATH_KEY_LIMIT = 200;
/** Keys written bare in a path: no separators, quotes, spaces or control characters. */
// eslint-disable-next-line no-control-regex
const BARE_KEY = /^[^.[\]"'\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+$/;

/**
 * Joins a parent path and a child key, sub-path or index: `join('a', 'b') = 'a.b'`,
 * `join('a', 'b.c') = 'a.b.c'`, `join('a', 0) = 'a[0]'`. Each segment of `key` that is not plain
 * (empty, with a bracket, a quote, a space or a control character, or longer than 200 characters) is
 * written as a JSON string in brackets: `join('tags.extra', '') = 'tags.extra[""]'`. For a key that
 * comes from the user's data (a map key, which may hold dots), use {@link joinKey}.
 * `pathSegments` in load.ts reads both forms back.
 */
export function join(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return key.split('.').reduce(joinKey, parent);
}

/**
 * Joins a parent path and one map key exactly as the user wrote it: `joinKey('tags.extra', 'owner')
 * = 'tags.extra.owner'`, `joinKey('tags.extra', 'app.io/name') = 'tags.extra["app.io/name"]'`.
 */
export function joinKey(parent: string, key: string): string {
  if (key.length <= PATH_KEY_LIMIT && BARE_KEY.test(key)) return parent ? `${parent}.${key}` : key;
  return bracketed(parent, key);
}

function bracketed(parent: string, key: string): string {
  const shown = key.length <= PATH_KEY_LIMIT ? jsonString(key) : `${jsonString(key.slice(0, PATH_KEY_LIMIT)).slice(0, -1)}… (${key.length - PATH_KEY_LIMIT} more characters)"`;
  return `${parent}[${shown}]`;
}

// The encodings below are those of aws-cdk-lib (core/lib/private/encoding.ts) and cdktf
// (lib/tokens/private/encoding.ts): a token is a marker string with a key of these characters, or a
// double whose top 16 bits are a marker and whose low 48 bits are the token's index in the token map.
const KEY = '[a-zA-Z0-9:._-]+';
/** CDK `${Token[...]}`, cdktf `${TfToken[...]}` and CDK's number token written into a string. */
const STRING_TOKEN = new RegExp(`\\$\\{(Tf)?Token\\[${KEY}\\]\\}|-1\\.\\d{10,16}e\\+289`);
/** The one element of a string-list token: CDK `#{Token[...]}`, cdktf `#{TfToken[...]}`. */
const LIST_TOKEN = new RegExp(`#\\{(Tf)?Token\\[${KEY}\\]\\}`);

/** True for a string that holds a list token's marker: a list where one string belongs. */
export function holdsListToken(value: string): boolean {
  return LIST_TOKEN.test(value);
}
/** A key of a cdktf string-map token: `&{TfToken[...]}`. */
const MAP_TOKEN = new RegExp(`&\\{TfToken\\[${KEY}\\]\\}`);
/** Top 16 bits of a CDK number token (and of a cdktf number-list element). */
const CDK_NUMBER_MARKER = 0xfbff;
/** Top 16 bits of a cdktf number token. */
const CDKTF_NUMBER_MARKER = 0xfdff;
/**
 * Token indexes count the tokens a process created (CDK starts below 10, cdktf at 0), so a real token
 * double has its index in the low 32 bits and zeros in bits 32-47. Requiring those zeros keeps
 * ordinary numbers such as -1.9e289 (the marker bits with an index of about 5e13) from passing.
 */
const INDEX_HIGH_BITS = 0xffff;

const doubleView = new DataView(new ArrayBuffer(8));

/** The marker (top 16 bits) of a number in token encoding with a small index, else undefined. */
function tokenMarkerOf(n: number): number | undefined {
  doubleView.setFloat64(0, n);
  const high = doubleView.getUint32(0);
  const marker = high >>> 16;
  if ((high & INDEX_HIGH_BITS) !== 0) return undefined;
  return marker === CDK_NUMBER_MARKER || marker === CDKTF_NUMBER_MARKER ? marker : undefined;
}

/** True for a number that is a CDK or cdktf number token (exact double encoding, small index). */
export function isNumberToken(n: unknown): n is number {
  return typeof n === 'number' && tokenMarkerOf(n) !== undefined;
}

/** True for a string holding a CDK or cdktf string token (`${Token[...]}`, `${TfToken[...]}`) or a stringified number token. */
export function isStringToken(s: unknown): s is string {
  return typeof s === 'string' && STRING_TOKEN.test(s);
}

/** True for a list that is a CDK or cdktf list token: `['#{Token[...]}']`, `['#{TfToken[...]}']`, or cdktf's one-number list token. */
export function isListToken(value: unknown): value is readonly unknown[] {
  if (!Array.isArray(value) || value.length !== 1) return false;
  const [only] = value;
  return (typeof only === 'string' && LIST_TOKEN.test(only)) || (typeof only === 'number' && tokenMarkerOf(only) === CDK_NUMBER_MARKER);
}

/** True for a string (a list element or a map key) in any token encoding, including list and map markers. */
export function holdsTokenEncoding(s: string): boolean {
  return STRING_TOKEN.test(s) || LIST_TOKEN.test(s) || MAP_TOKEN.test(s);
}

/**
 * True for values that are unresolved construct tokens: CDK `${Token[...]}` / cdktf `${TfToken[...]}`
 * strings, numbers in the CDK/cdktf double encoding, list tokens (`['#{Token[...]}']`), cdktf map
 * tokens (a key `&{TfToken[...]}`) and resolvable objects (anything with a `resolve()` method). Such
 * values are not validated as literals. Ordinary numbers are never tokens, however large or small.
 */
export function isToken(value: unknown): boolean {
  if (typeof value === 'string') return isStringToken(value);
  if (typeof value === 'number') return isNumberToken(value);
  if (Array.isArray(value)) return isListToken(value);
  if (typeof value === 'object' && value !== null) {
    if (typeof (value as { resolve?: unknown }).resolve === 'function') return true;
    return Object.keys(value).some((k) => MAP_TOKEN.test(k));
  }
  return false;
}
