import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request a fake cloud received. */
export interface Received {
  readonly method: string;
  readonly url: URL;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  /** Sent as is (XML); `body` is JSON-encoded otherwise. */
  readonly raw?: string;
}

interface Fault {
  readonly match: (req: Received) => boolean;
  remaining: number;
  /** undefined: never answer (the caller must give up on its own). */
  readonly answer?: Answer;
}

/**
 * The HTTP plumbing shared by the fake clouds: records every request, lets a test make the next
 * matching requests fail (or hang), and hands the rest to the cloud's own router.
 */
export class LocalServer {
  static async start(route: (req: Received) => Answer | Promise<Answer>): Promise<LocalServer> {
    const s = new LocalServer(route);
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  readonly requests: Received[] = [];
  private readonly faults: Fault[] = [];
  private readonly server: http.Server;
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor(private readonly route: (req: Received) => Answer | Promise<Answer>) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received: Received = { method: req.method ?? '', url: new URL(req.url ?? '/', 'http://local'), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(received);
        const fault = this.faults.find((f) => f.remaining > 0 && f.match(received));
        if (fault) {
          fault.remaining--;
          if (!fault.answer) {
            this.hanging.add(res);
            res.on('close', () => this.hanging.delete(res));
            return;
          }
          return send(res, fault.answer);
        }
        Promise.resolve()
          .then(() => this.route(received))
          .then(
            (answer) => send(res, answer),
            (error: Error) => send(res, { status: 500, body: { error: { code: 'FakeServerBug', message: error.message } } }),
          );
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `times` requests matching `match` get `answer` instead of the cloud's. */
  failNext(match: (req: Received) => boolean, times: number, answer: Answer): void {
    this.faults.push({ match, remaining: times, answer });
  }

  /** The next request matching `match` is never answered. */
  hangNext(match: (req: Received) => boolean): void {
    this.faults.push({ match, remaining: 1 });
  }

  /** Requests that could change state (anything but GET and operation polls). */
  writes(): Received[] {
    return this.requests.filter((r) => r.method !== 'GET' && !r.url.pathname.endsWith('/wait'));
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function send(res: http.ServerResponse, answer: Answer): void {
  const payload = answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
  res.writeHead(answer.status, { 'content-type': answer.raw ? 'text/xml' : 'application/json; charset=UTF-8', ...answer.headers });
  res.end(payload);
}

/** A sleep that records what it was asked to wait and returns at once. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}
