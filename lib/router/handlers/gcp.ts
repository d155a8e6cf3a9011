import { writeResponse, type NodeResponseLike } from './node-http';
import type { HandleRequest } from './pipeline';
import { Cancellation } from '../engine/cancel';

/** The Express request Cloud Functions (functions-framework) passes, as far as the router reads it. */
export interface GcpRequest {
  readonly method: string;
  /** Path without the function's own prefix, e.g. `/v1/chat/completions`. */
  readonly path?: string;
  readonly url?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The unparsed body (functions-framework keeps it next to the parsed `body`). */
  readonly rawBody?: Buffer;
  readonly body?: unknown;
}

/** The Express response, which is a Node `ServerResponse`. */
export type GcpResponse = NodeResponseLike;

function bodyOf(req: GcpRequest): string | Buffer | undefined {
  if (req.rawBody !== undefined) return req.rawBody;
  if (req.body === undefined || req.body === null) return undefined;
  if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) return req.body;
  // functions-framework parsed JSON already and kept no raw body: serialize it back.
  return JSON.stringify(req.body);
}

/** A Cloud Functions (gen2) HTTP function: `(req, res)`; streams SSE through the response. */
export function createGcpHandler(handle: HandleRequest): (req: GcpRequest, res: GcpResponse) => Promise<void> {
  return async (req, res) => {
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    const aborted = new Cancellation();
    const onClose = () => aborted.abort(new Error('client closed the connection'));
    res.on('close', onClose);
    try {
      const r = await handle(req.method, req.path ?? req.url ?? '/', headers, bodyOf(req), aborted.signal);
      await writeResponse(res, r);
    } finally {
      res.off('close', onClose);
    }
  };
}
