import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HandleRequest, RequestHeaders, RouterResponse } from './pipeline';
import { Cancellation } from '../engine/cancel';

/** Largest request body accepted (a chat request with a long context is a few MB at most). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

function headersOf(req: IncomingMessage): RequestHeaders {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

class BodyTooLarge extends Error {
  constructor() {
    super(`request body is larger than ${MAX_BODY_BYTES} bytes`);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        // Stop buffering; the 413 goes out with `connection: close` and the socket closes after it.
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 0 ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The part of Node's `ServerResponse` the writer uses; Express's response (Cloud Functions) is one.
 */
export interface NodeResponseLike {
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  flushHeaders?(): void;
  write(chunk: string): boolean;
  end(chunk?: string): unknown;
  readonly destroyed?: boolean;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Writes a `RouterResponse` to a Node response, streaming SSE with backpressure. */
export async function writeResponse(res: NodeResponseLike, r: RouterResponse): Promise<void> {
  if (!r.stream) {
    const body = r.body ?? '';
    res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  res.writeHead(r.status, r.headers);
  res.flushHeaders?.();
  const iterator = r.stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (res.destroyed) break;
      const next = await iterator.next();
      if (next.done) break;
      if (!res.write(next.value)) await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  } finally {
    // Stops the engine's stream (and the upstream call) when the client left early.
    await iterator.return?.();
    res.end();
  }
}

/** A Node `http` request listener serving the pipeline. */
export function nodeListener(handle: HandleRequest): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const aborted = new Cancellation();
    res.on('close', () => {
      if (!res.writableFinished) aborted.abort(new Error('client closed the connection'));
    });
    readBody(req)
      .then((body) => handle(req.method ?? 'GET', req.url ?? '/', headersOf(req), body, aborted.signal))
      .then((r) => writeResponse(res, r))
      .catch((err: Error) => {
        if (res.headersSent) return void res.destroy(err);
        const tooLarge = err instanceof BodyTooLarge;
        const error = tooLarge
          ? { message: err.message, type: 'invalid_request_error', code: 'request_too_large', param: null }
          : { message: `router error: ${err.message}`, type: 'server_error', code: 'internal_error', param: null };
        const body = JSON.stringify({ error });
        res.writeHead(tooLarge ? 413 : 500, { 'content-type': 'application/json', connection: 'close' });
        res.end(body, () => req.destroy());
      });
  };
}

export interface ListenOptions {
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

/** Starts an HTTP server for the pipeline; resolves once it listens. */
export function listen(handle: HandleRequest, options: ListenOptions = {}): Promise<RunningServer> {
  const server = createServer({ keepAliveTimeout: 65_000 }, nodeListener(handle));
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
