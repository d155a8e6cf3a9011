import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Admitted, HandleRequest, Pipeline, RequestHeaders, RouterResponse } from './pipeline';
import { tooLarge } from './pipeline';
import { SSE_DONE } from './openai-format';
import { Cancellation } from '../engine/cancel';
import { DEFAULT_REQUEST_LIMITS } from '../engine/limits';

/** Largest request body accepted when the handler is not a `Pipeline` with its own limits. */
export const MAX_BODY_BYTES = DEFAULT_REQUEST_LIMITS.maxBodyBytes;

function headersOf(req: IncomingMessage): RequestHeaders {
  const out: Record<string, string | undefined> = {};
  const given = req.headers;
  for (const k in given) {
    const v = given[k];
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes`);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        // Stop buffering; the 413 goes out with `connection: close` and the socket closes after it.
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 0 ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
    // A client that leaves mid-upload: 'aborted' then 'close' without 'end'.
    req.on('close', () => (req.complete ? undefined : reject(new Error('the client closed the connection while sending the body'))));
  });
}

/** Whether the request still has a body on the wire that nobody has read. */
function hasBody(req: IncomingMessage): boolean {
  return !req.complete && (Number(req.headers['content-length']) > 0 || req.headers['transfer-encoding'] !== undefined);
}

/**
 * The part of Node's `ServerResponse` the writer uses; Express's response (Cloud Functions) is one.
 */
export interface NodeResponseLike {
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  flushHeaders?(): void;
  write(chunk: string): boolean;
  end(chunk?: string): unknown;
  cork?(): void;
  uncork?(): void;
  readonly destroyed?: boolean;
  /** Node's: a write returned false and 'drain' has not come yet. */
  readonly writableNeedDrain?: boolean;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Resolves once `res` can take more (or has closed). */
function drained(res: NodeResponseLike): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * `{ ...headers, [name]: value }`, built by assignment: for these headers that literal measured
 * 1.0–1.6 µs on Node 20 against 0.1–0.2 µs (V8 copies it through its slow path), on every answer.
 */
function withHeader(headers: Readonly<Record<string, string>>, name: string, value: string | number): Record<string, string | number> {
  const out: Record<string, string | number> = Object.assign({}, headers);
  out[name] = value;
  return out;
}

/** Writes a `RouterResponse` to a Node response, streaming SSE with backpressure. */
export async function writeResponse(res: NodeResponseLike, r: RouterResponse): Promise<void> {
  if (!r.stream) {
    const body = r.body ?? '';
    res.writeHead(r.status, withHeader(r.headers, 'content-length', Buffer.byteLength(body)));
    res.end(body);
    return;
  }
  // No flushHeaders(): the engine hands over a stream once its first event is in, so the headers
  // leave with the first frames (one packet instead of two before the first byte).
  res.writeHead(r.status, r.headers);
  const iterator = r.stream[Symbol.asyncIterator]();
  // Frames that are ready together (an upstream packet usually carries several events) leave as one
  // write: on a Node response (one that can cork) they are joined while they come and written once
  // the microtasks that produce them have run (next tick); the last ones go with the end. One write
  // per frame cost a syscall each at first, then, corked, a chunk-size line, the frame and a CRLF
  // per frame in the writev. A plain response-like object gets each frame as its own write.
  const join = res.cork !== undefined;
  let pending = '';
  let scheduled = false;
  let blocked = false;
  let ended = false;
  const flush = () => {
    scheduled = false;
    if (ended || pending === '' || res.destroyed) return;
    const text = pending;
    pending = '';
    if (!res.write(text)) blocked = true;
  };
  try {
    for (;;) {
      if (res.destroyed) break;
      if (blocked) {
        // A flush found the response full: wait until it drains, unless it has already (a 'drain'
        // that came while the next frames were awaited would never come again).
        blocked = false;
        if (res.writableNeedDrain ?? true) await drained(res);
        continue;
      }
      const next = await iterator.next();
      if (next.done) break;
      if (!join) {
        if (!res.write(next.value)) await drained(res);
        continue;
      }
      if (ended) continue; // nothing follows [DONE]
      if (next.value === SSE_DONE) {
        // OpenAI's last event: the answer ends with it, and the engine's stream finishes (logs) on
        // the next pull, after the last bytes have left.
        ended = true;
        const rest = pending + next.value;
        pending = '';
        res.end(rest);
        continue;
      }
      pending += next.value;
      if (!scheduled) {
        scheduled = true;
        process.nextTick(flush);
      }
    }
  } finally {
    // Stops the engine's stream (and the upstream call) when the client left early.
    await iterator.return?.();
    if (!ended) {
      ended = true;
      const rest = pending;
      pending = '';
      if (rest !== '' && !res.destroyed) res.end(rest);
      else res.end();
    }
  }
}

/**
 * Answers without reading the body. When a body is still on the wire the answer says
 * `connection: close` and the socket is destroyed once the answer is flushed, so the rest is never
 * read (node-http would otherwise read and discard it to reuse the connection).
 */
function refuseUnread(req: IncomingMessage, res: ServerResponse, r: RouterResponse): void {
  if (!hasBody(req)) return void writeResponse(res, r).catch(() => req.destroy());
  const body = r.body ?? '';
  res.writeHead(r.status, { ...r.headers, connection: 'close', 'content-length': Buffer.byteLength(body) });
  res.end(body, () => req.destroy());
}

function errorBody(status: number, code: string, type: string, message: string): RouterResponse {
  return { status, headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify({ error: { message, type, code, param: null } }) };
}

/**
 * A Node `http` request listener serving the pipeline. With a `Pipeline` (what `createPipeline`
 * returns), the key, the `content-length` and the in-flight caps are checked from the headers
 * before a byte of the body is read: an unauthenticated or oversized upload costs no memory.
 */
export function nodeListener(handle: HandleRequest | Pipeline): (req: IncomingMessage, res: ServerResponse) => void {
  const pipeline = 'preflight' in handle ? handle : undefined;
  const limit = pipeline?.limits.maxBodyBytes ?? MAX_BODY_BYTES;
  return (req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const headers = headersOf(req);
    let admitted: Admitted | undefined;
    if (pipeline) {
      let pre;
      try {
        pre = pipeline.preflight(method, url, headers);
      } catch (err) {
        return refuseUnread(req, res, errorBody(500, 'internal_error', 'server_error', `router error: ${(err as Error).message}`));
      }
      if (pre.response) return refuseUnread(req, res, pre.response);
      admitted = pre.admitted;
    }
    const aborted = new Cancellation();
    res.on('close', () => {
      if (!res.writableFinished) aborted.abort(new Error('client closed the connection'));
    });
    readBody(req, limit)
      .then(
        (body) => handle(method, url, headers, body, aborted.signal, admitted),
        (err) => {
          admitted?.release();
          throw err;
        },
      )
      .then((r) => writeResponse(res, r))
      .catch((err: Error) => {
        if (res.headersSent || res.destroyed) return void res.destroy();
        const r =
          err instanceof BodyTooLarge
            ? { ...errorBody(413, 'request_too_large', 'invalid_request_error', tooLarge(err.limit).message) }
            : errorBody(500, 'internal_error', 'server_error', `router error: ${(err as Error).message}`);
        res.writeHead(r.status, r.headers);
        res.end(r.body, () => req.destroy());
      });
  };
}

/** Limits of the Node server itself (connections and slow clients); each is an `ai-stack serve` option. */
export interface NodeServerLimits {
  /**
   * Most open connections; a connection over the cap is answered 503 `too_many_connections` and
   * closed at once.
   * @default 1024
   */
  readonly maxConnections?: number;
  /** Time a client has to send the request line and headers (Node's `headersTimeout`). @default 10000 ms */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send the whole request, body included (Node's `requestTimeout`; answers may stream longer). @default 30000 ms */
  readonly requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open between requests. @default 5000 ms */
  readonly keepAliveTimeoutMs?: number;
}

export const NODE_SERVER_DEFAULTS = { maxConnections: 1024, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 } as const;

export interface ListenOptions extends NodeServerLimits {
  /** @default 8080 (0 picks a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

export interface RunningServer {
  readonly server: Server;
  /** `http://host:port`. */
  readonly url: string;
  close(): Promise<void>;
}

/** A raw 503 for a connection over the cap: written before node-http parses anything on it. */
function busyResponse(max: number): string {
  const body = JSON.stringify({ error: { message: `the router has its limit of ${max} open connections; retry shortly`, type: 'server_error', code: 'too_many_connections', param: null } });
  return `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * A Node http server for the pipeline, with every limit of `NodeServerLimits` applied. Node checks
 * its header and request timeouts every `connectionsCheckingInterval` (30 s by default, far too
 * coarse for a 10 s limit): it is set to a tenth of the header timeout (100 ms to 1 s), so a slow
 * client is cut within ~10% of its limit.
 */
export function createNodeServer(handle: HandleRequest | Pipeline, limits: NodeServerLimits = {}): Server {
  const o = { ...NODE_SERVER_DEFAULTS, ...limits };
  const server = createServer(
    {
      headersTimeout: o.headersTimeoutMs,
      requestTimeout: o.requestTimeoutMs,
      keepAliveTimeout: o.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(o.headersTimeoutMs / 10))),
    },
    nodeListener(handle),
  );
  let open = 0;
  const busy = busyResponse(o.maxConnections);
  server.prependListener('connection', (socket: Socket) => {
    if (open >= o.maxConnections) {
      socket.on('error', () => undefined);
      socket.end(busy);
      socket.destroySoon();
      return;
    }
    open++;
    socket.once('close', () => open--);
  });
  // A client that sends garbage or stalls gets node's own 400 or 408, and its socket is closed.
  return server;
}

/** Starts an HTTP server for the pipeline; resolves once it listens. */
export function listen(handle: HandleRequest | Pipeline, options: ListenOptions = {}): Promise<RunningServer> {
  const server = createNodeServer(handle, options);
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        server,
        url: `http://${shownHost}:${port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
