import { isToken } from './problems';

/** Longest stretch of a caller's value quoted in a message; the rest is cut with a count. */
export const QUOTE_LIMIT = 200;

/**
 * A value as a problem message shows it: strings in single quotes with control characters escaped and
 * cut to {@link QUOTE_LIMIT} characters, numbers as written (`Infinity`, `-Infinity`, `NaN` by name),
 * unresolved tokens, lists and maps by what they are, enum-like class instances by their id, other
 * class instances by their class. Never prints `undefined`, `[object Object]` or `null` for a value
 * that is not null.
 */
export function quote(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (isToken(value)) return describeToken(value);
  if (typeof value === 'string') return `'${escapeControl(truncate(value))}'`;
  if (typeof value === 'number') return Object.is(value, -0) ? '0' : String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return Object.keys(value as object).length === 0 ? 'an empty map' : 'a map';
  const id = (value as { id?: unknown }).id;
  if (typeof id === 'string') return quote(id);
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `an instance of ${escapeControl(truncate(name, 60))}` : 'an object';
}

function describeToken(value: unknown): string {
  if (typeof value === 'string') return `an unresolved token ${`'${escapeControl(truncate(value))}'`}`;
  if (typeof value === 'number') return 'an unresolved number token';
  if (Array.isArray(value)) return 'an unresolved list token';
  return 'an unresolved token';
}

/**
 * Values listed in a message (`'a', 'b', 'c'`), each through {@link quote}; past `max` items the rest
 * is counted (`… and 12 more`). `none` when the list is empty.
 */
export function quoteList(values: Iterable<unknown>, max = 20): string {
  const all = [...values];
  if (all.length === 0) return 'none';
  const shown = all.slice(0, max).map(quote).join(', ');
  return all.length > max ? `${shown} and ${all.length - max} more` : shown;
}

/** `text` cut to `limit` characters, saying how many were left out. */
export function truncate(text: string, limit = QUOTE_LIMIT): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}… (${text.length - limit} more characters)`;
}

/** Control characters (newlines, tabs, escapes, NUL…) written as escapes, so a message stays one readable line. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    switch (c) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  });
}
