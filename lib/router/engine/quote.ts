/**
 * Caller values quoted in error messages and logs. A client controls these (a `stop` string, a
 * path, a model name), so each is cut to a few hundred characters and its control characters are
 * escaped: a 5 MB value must not come back whole in a 400, nor a newline forge a log line.
 */

import { escapeControl, truncate } from '../../design/quote';

/** Most characters of one caller value that an error message or log line quotes. */
export const QUOTE_MAX_CHARS = 200;

/** `text` cut to `max` characters (with how much was cut) and its control characters escaped. */
export function clip(text: string, max: number = QUOTE_MAX_CHARS): string {
  // One rule with the design's messages: cut first, then escape what is left.
  return escapeControl(truncate(text, max));
}

/**
 * A caller value as a message shows it: a string in double quotes (clipped, escaped), a number or
 * boolean as is, and an array or object by its kind and size only (never serialized: it may be
 * huge or nested thousands deep).
 */
export function quote(value: unknown, max: number = QUOTE_MAX_CHARS): string {
  if (typeof value === 'string') return `"${clip(value, max).replace(/"/g, '\\"')}"`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}
