import { invalidRequest } from './errors';

/**
 * Limits on the shape of a chat request, checked before any routing (issue #10): a request that is
 * too big or too odd for an adapter to translate is answered 400 naming the field, and never reaches
 * a provider, a retry or a circuit breaker. Defaults are far above what a real chat request needs.
 */
export interface RequestLimits {
  /** Largest request body, in bytes (also refused from `content-length` before it is read). @default 4 MiB */
  readonly maxBodyBytes: number;
  /** Most entries of `messages`. @default 1000 */
  readonly maxMessages: number;
  /** Most content parts in one message's `content` array. @default 100 */
  readonly maxContentParts: number;
  /** Longest text: a message's `content` string, or a part's `text`, in characters. @default 1,000,000 */
  readonly maxTextChars: number;
  /** Longest short string: `model`, `name`, `user`, each `stop`, an `image_url.url`. @default 256 (url: 100,000) */
  readonly maxFieldChars: number;
  /** Deepest nesting of arrays and objects in the body (a valid request needs 5). @default 10 */
  readonly maxDepth: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxMessages: 1000,
  maxContentParts: 100,
  maxTextChars: 1_000_000,
  maxFieldChars: 256,
  maxDepth: 10,
};

/** Longest `image_url.url` (a data: URL carries the image itself). */
export const MAX_IMAGE_URL_CHARS = 100_000;

/**
 * Throws a 400 when the JSON text nests arrays/objects deeper than `maxDepth`. Scans the text (one
 * pass, strings skipped) rather than the parsed value, so neither JSON.parse nor any later walk of
 * the value (an adapter's JSON.stringify) meets a nesting that overflows the stack.
 */
export function checkDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw invalidRequest(`request body nests arrays and objects deeper than ${maxDepth} levels; a chat request needs at most 5`, null, 'too_deep');
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}
