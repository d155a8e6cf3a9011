/**
 * Caller values quoted in error messages and logs. A client controls these (a `stop` string, a
 * path, a model name), so each is cut to a few hundred characters and its control characters are
 * escaped: a 5 MB value must not come back whole in a 400, nor a newline forge a log line.
 */

/** Most characters of one caller value that an error message or log line quotes. */
export const QUOTE_MAX_CHARS = 200;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeChar(c: string): string {
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
}

/** `text` cut to `max` characters (with how much was cut) and its control characters escaped. */
export function clip(text: string, max: number = QUOTE_MAX_CHARS): string {
  const cut = text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
  return cut.replace(CONTROL, escapeChar);
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
