import type { Readable } from 'node:stream';
import type { CancelSignal } from '../engine/cancel';
import { clip } from '../engine/quote';
import { describe } from '../providers/errors';
import { postJson } from '../providers/http';
import { ProviderError, type ProviderErrorKind } from '../providers/types';
import { GuardError, type GuardErrorKind } from './types';

/** Provider failure classes as guard outages. */
const KINDS: Readonly<Record<ProviderErrorKind, GuardErrorKind>> = {
  throttled: 'throttled',
  server: 'server',
  timeout: 'timeout',
  auth: 'auth',
  bad_request: 'bad_request',
  context_length: 'bad_request',
  content_filter: 'bad_request',
};

/** Longest answer read from a guard: its JSON is small, and a runaway body must not fill memory. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * POSTs JSON to a guard over the providers' shared keep-alive pools (providers/http.ts) and
 * returns the parsed answer. Every failure is a `GuardError` whose message quotes at most 200
 * characters of anything the guard sent (it may echo the prompt).
 */
export async function postGuardJson(where: string, url: string, headers: Record<string, string>, body: unknown, signal: CancelSignal): Promise<unknown> {
  let text: string;
  try {
    const response = await postJson(where, url, headers, body, signal);
    text = await readBody(where, response.body);
  } catch (error) {
    throw guardFailure(where, error, signal);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new GuardError('bad_response', `${where}: answer is not JSON: ${clip(text, 200)}`, 200);
  }
}

export function guardFailure(where: string, error: unknown, signal: CancelSignal): GuardError {
  if (error instanceof GuardError) return error;
  if (signal.aborted) return new GuardError('timeout', `${where}: no answer in time (${clip(describe(signal.reason), 100)})`);
  if (error instanceof ProviderError) return new GuardError(KINDS[error.kind], clip(error.message, 200 + where.length), error.status, error.retryAfterMs);
  return new GuardError('timeout', `${where}: connection failed: ${clip(describe(error), 200)}`);
}

function readBody(where: string, body: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    body.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ANSWER_BYTES) {
        body.destroy();
        reject(new GuardError('bad_response', `${where}: answer over ${MAX_ANSWER_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    body.on('end', () => {
      ended = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    body.on('error', reject);
    body.on('close', () => ended || reject(new Error('the answer closed before its end')));
  });
}
