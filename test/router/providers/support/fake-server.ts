import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake provider received. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export type Handler = (req: ReceivedRequest, res: http.ServerResponse) => void | Promise<void>;

/**
 * A local HTTP server standing in for a provider: each test sets `handler` to answer in that provider's
 * wire format, then inspects `requests` (what the adapter sent) and `connections` (TCP connections opened).
 */
export class FakeServer {
  static async start(): Promise<FakeServer> {
    const fake = new FakeServer();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  handler: Handler = (_req, res) => json(res, 500, { error: { message: 'no handler set' } });
  readonly requests: ReceivedRequest[] = [];
  connections = 0;
  /** Resolves each time a response is closed before it ended (the client went away). */
  readonly aborted: Promise<void>[] = [];
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(received);
        this.aborted.push(new Promise((resolve) => res.on('close', () => (res.writableEnded ? undefined : resolve()))));
        Promise.resolve(this.handler(received, res)).catch((error: Error) => {
          if (!res.headersSent) json(res, 500, { error: { message: error.message } });
          else res.destroy();
        });
      });
    });
    this.server.on('connection', () => this.connections++);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The JSON body of the last request. */
  lastJson(): Record<string, any> {
    const last = this.requests[this.requests.length - 1];
    if (!last) throw new Error('the fake server received no request');
    return JSON.parse(last.body);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Writes server-sent events, one `data:` line each; `end: false` leaves the stream open. */
export function sse(res: http.ServerResponse, events: readonly unknown[], options: { end?: boolean } = {}): void {
  if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const e of events) res.write(`data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`);
  if (options.end !== false) res.end();
}

/** A port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Collects a stream's events, or the error it threw. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

/** The rejection of a promise, asserting it rejected. */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}
