import { randomUUID } from 'node:crypto';
import type { RouterEngine } from '../engine/engine';
import { RouterError } from '../engine/errors';
import type { RefreshingSecret } from '../secrets/refreshing';
import { HEADER, type HandleRequest, type Pipeline, type Preflight, type RequestHeaders, type RouterResponse } from './pipeline';

/** `/healthz` from any prefix and without the query string (as the pipeline matches it). */
function isHealth(path: string): boolean {
  const q = path.indexOf('?');
  return (q >= 0 ? path.slice(0, q) : path).replace(/\/+$/, '').endsWith('/healthz');
}

/** The 503 of a request that needs a secret the router has never read. */
export function secretUnavailable(variables: readonly string[]): RouterError {
  const list = variables.join(', ');
  return new RouterError(
    503,
    'server_error',
    'router_secret_unavailable',
    `the router cannot read the secret${variables.length === 1 ? '' : 's'} in ${list} yet, so it serves no request (it never lets one through unchecked); retry shortly. The router's log says why`,
    null,
    { 'retry-after': '1' },
  );
}

/**
 * The pipeline behind its secrets: until every one of them has been read once, a request (other
 * than `/healthz`) waits for the reads, and is answered 503 `router_secret_unavailable`, naming the
 * variables, when one fails. Once all have been read the pipeline serves directly: later refreshes
 * keep the last good values, except that a request finding a secret `stale` (two refresh intervals
 * unread: the instance was frozen) waits for its re-read, so a key revoked meanwhile is not served.
 * The variables are named, never their references, which are the operator's business (the log has them).
 */
export function secretGate(inner: Pipeline, secrets: readonly RefreshingSecret[], engine: RouterEngine): Pipeline {
  if (secrets.length === 0) return inner;
  let open = false;
  const isOpen = () => open || (open = secrets.every((s) => s.loaded));
  // Per request: start the re-reads that are due (timers do not run in a frozen instance), and say
  // whether one is too old to serve unread.
  const anyStale = () => {
    let stale = false;
    for (const s of secrets) {
      if (s.stale) stale = true;
      else s.refreshIfDue();
    }
    return stale;
  };

  const preflight = (method: string, path: string, headers: RequestHeaders): Preflight =>
    // Not yet (or too old): the handler reads the body (within maxBodyBytes) and `handle` waits for the secrets.
    (isOpen() && !anyStale()) || isHealth(path) ? inner.preflight(method, path, headers) : { admitted: undefined };

  const handle: HandleRequest = async (method, path, headers, body, signal, admitted) => {
    if (admitted || isHealth(path)) return inner(method, path, headers, body, signal, admitted);
    if (isOpen()) {
      if (anyStale()) await Promise.all(secrets.filter((s) => s.stale).map((s) => s.refresh()));
      return inner(method, path, headers, body, signal);
    }
    const startedAt = engine.clock.now();
    const results = await Promise.allSettled(secrets.map((s) => s.ready()));
    const failed = secrets.filter((_, i) => results[i].status === 'rejected').map((s) => s.variable);
    if (failed.length === 0) return inner(method, path, headers, body, signal);
    const e = secretUnavailable(failed);
    const given = headers[HEADER.requestId];
    const requestId = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    const latencyMs = engine.clock.now() - startedAt;
    engine.log({ requestId, attempts: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, latencyMs, overheadMs: latencyMs, outcome: e.code ?? e.type, status: e.status, stream: false, error: e.message });
    const response: RouterResponse = { status: e.status, headers: { 'content-type': 'application/json', ...e.headers, [HEADER.requestId]: requestId }, body: JSON.stringify(e.toBody()) };
    return response;
  };
  return Object.defineProperties(handle, {
    preflight: { value: preflight },
    limits: { get: () => inner.limits },
  }) as Pipeline;
}
