import * as http from 'node:http';
import * as net from 'node:net';
import { systemClock } from '../../../lib/router/engine/clock';
import { listen, type RunningServer } from '../../../lib/router/handlers/node-http';
import { createPipeline } from '../../../lib/router/handlers/pipeline';
import type { RequestLog } from '../../../lib/router/log';
import type { AdapterFactory, StreamEvent } from '../../../lib/router/providers/types';
import type { CancelSignal } from '../../../lib/router/engine/cancel';
import { config, engineWith, KEY, OTHER_KEY, route, target, tenant } from '../engine/helpers';
import { hashKey } from '../../../lib/router/engine/keys';

/**
 * Issue #10, items 1, 2 and 4 at the HTTP boundary: odd requests never reach a target, nothing is
 * read before the key is checked, slow clients and floods are bounded, nothing large is echoed.
 */

interface Answer {
  status: number;
  text: string;
}

function request(url: string, options: { path?: string; method?: string; key?: string | null; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.key !== null) headers.authorization = `Bearer ${options.key ?? KEY}`;
    const req = http.request(`${url}${options.path ?? '/v1/chat/completions'}`, { method: options.method ?? 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Calls made to the targets, and a stream that waits until aborted (to hold in-flight slots). */
function factory(calls: string[], gates: Array<() => void>): AdapterFactory {
  return (t) => ({
    target: t,
    complete: async () => {
      calls.push(t.id);
      return { content: 'ok', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
    },
    async *stream(_req, signal: CancelSignal): AsyncIterable<StreamEvent> {
      calls.push(t.id);
      yield { type: 'delta', text: 'held' };
      await new Promise<void>((resolve, reject) => {
        gates.push(resolve);
        signal.addEventListener('abort', () => reject(signal.reason));
      });
      yield { type: 'done', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
    },
  });
}

describe('hardened router (node http)', () => {
  let server: RunningServer;
  const calls: string[] = [];
  const gates: Array<() => void> = [];
  const logs: RequestLog[] = [];

  beforeAll(async () => {
    const cfg = config([target('a'), target('b')], [route('chat', ['a'], { fallbacks: ['b'], timeoutMs: 60_000, deadlineMs: 60_000 })], [tenant(), tenant({ id: 'beta', keySha256: [hashKey(OTHER_KEY)] })]);
    const { engine } = engineWith(cfg, factory(calls, gates), { clock: systemClock, logger: (r) => logs.push(r) });
    server = await listen(createPipeline(engine, { maxInFlight: 3, maxInFlightPerTenant: 2 }), { port: 0, headersTimeoutMs: 500, maxConnections: 200 });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    calls.length = 0;
    logs.length = 0;
  });

  test('nested, huge and odd requests are answered 400 without reaching a target or its breaker', async () => {
    const odd = [
      `{"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":"x","x":${'['.repeat(50_000)}${']'.repeat(50_000)}}]}]}`,
      JSON.stringify({ model: 'chat', messages: Array.from({ length: 100_000 }, () => ({ role: 'user', content: 'x' })) }),
      JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: [{ type: 'video', video: {} }] }] }),
      JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], stop: 'x'.repeat(3_000_000) }),
    ];
    // Each twice, more often than the breaker threshold (3).
    for (const body of [...odd, ...odd]) {
      const r = await request(server.url, { body });
      expect(r.status).toBe(400);
      expect(r.text.length).toBeLessThan(1000);
    }
    expect(calls).toEqual([]);
    // The first target still serves: no breaker opened.
    const ok = await request(server.url, { body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(ok.status).toBe(200);
    expect(calls).toEqual(['a']);
  });

  test('50 parallel 9 MB uploads without a key are answered 401 before their bodies are read', async () => {
    // A server of its own with the default timeouts: the uploads load this process's event loop.
    const own = await listen(createPipeline(engineWith(config([target('a')], [route('chat', ['a'])]), factory([], [])).engine), { port: 0 });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const size = 9 * 1024 * 1024;
    const memory = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const before = memory();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, memory())), 5);
    const upload = (key: string | null) =>
      new Promise<number>((resolve) => {
        const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(size) };
        if (key) headers.authorization = `Bearer ${key}`;
        const req = http.request(`${own.url}/v1/chat/completions`, { method: 'POST', headers, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(-1));
        let sent = 0;
        const pump = () => {
          while (sent < size) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
    const statuses = await Promise.all([...Array.from({ length: 50 }, () => upload(null)), upload(KEY)]);
    clearInterval(sampler);
    await own.close();
    expect(statuses.slice(0, 50)).toEqual(Array(50).fill(401));
    // With a key, the content-length alone is over the 4 MiB limit: 413, unread.
    expect(statuses[50]).toBe(413);
    expect(peak - before).toBeLessThan(50 * 1024 * 1024);
  });

  test('slow-header clients are cut at the header timeout while /healthz answers at once', async () => {
    // /healthz's own time on this machine, before any slow client: a loaded CI machine can take
    // longer than 10 ms for any request, slow clients or not.
    const healthMs = async () => {
      const xs: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        const r = await request(server.url, { path: '/healthz', method: 'GET', key: null });
        xs.push(performance.now() - t0);
        expect(r.status).toBe(200);
      }
      return xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    };
    const baseline = await healthMs();
    const started = Date.now();
    const closedAfter = Array.from({ length: 30 }, () =>
      new Promise<number>((resolve) => {
        const s = net.connect(Number(new URL(server.url).port), '127.0.0.1', () => s.write('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n'));
        // One header byte every 100 ms: never done within 500 ms.
        const drip = setInterval(() => s.writable && s.write('x'), 100);
        s.on('error', () => undefined);
        s.on('close', () => {
          clearInterval(drip);
          resolve(Date.now() - started);
        });
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    const held = await healthMs();
    const times = await Promise.all(closedAfter);
    // Under 10 ms, or no slower than twice this machine's own /healthz time: the slow clients hold nothing up.
    expect(held).toBeLessThan(Math.max(10, 2 * baseline));
    // Cut at the 500 ms header timeout (Node checks every 100 ms here), not after Node's 60 s default.
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(450);
      expect(t).toBeLessThan(3000);
    }
  });

  test('in-flight caps: 429 over the tenant cap, 503 over the instance cap, slots freed when streams end', async () => {
    const stream = (key: string) =>
      new Promise<{ status: number; res?: http.IncomingMessage; text?: string }>((resolve) => {
        const req = http.request(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, agent: false }, (res) => {
          if (res.statusCode !== 200) {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          } else res.once('data', () => resolve({ status: 200, res }));
        });
        req.end(JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
      });
    const held = [await stream(KEY), await stream(KEY)];
    expect(held.map((h) => h.status)).toEqual([200, 200]);
    const overTenant = await stream(KEY);
    expect(overTenant.status).toBe(429);
    expect(JSON.parse(overTenant.text!).error).toMatchObject({ code: 'concurrency_limit_exceeded', type: 'rate_limit_error' });
    expect(overTenant.text).toContain("tenant 'acme' has 2 requests in flight");
    // Another tenant takes the third and last slot of the instance.
    held.push(await stream(OTHER_KEY));
    expect(held[2].status).toBe(200);
    const overInstance = await stream(OTHER_KEY);
    expect(overInstance.status).toBe(503);
    expect(JSON.parse(overInstance.text!).error.code).toBe('server_busy');
    // Finish the streams: their slots come back.
    const ended = held.map((h) => new Promise((r) => h.res!.on('end', r).resume()));
    while (gates.length > 0) gates.shift()!();
    await Promise.all(ended);
    const again = await stream(KEY);
    expect(again.status).toBe(200);
    const last = new Promise((r) => again.res!.on('end', r).resume());
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 5));
    gates.shift()!();
    await last;
  });

  test('an unauthenticated 15 KB path and a control-character model are echoed clipped and escaped', async () => {
    const long = await request(server.url, { path: `/${'p'.repeat(15_000)}`, method: 'GET', key: null });
    expect(long.status).toBe(404);
    expect(long.text.length).toBeLessThan(600);
    expect(long.text).toContain('… (14801 more characters)');
    const forged = await request(server.url, { body: JSON.stringify({ model: 'x\n{"outcome":"ok"}', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(forged.status).toBe(404);
    expect(JSON.parse(forged.text).error.message).toContain(`the model 'x\\n{"outcome":"ok"}' does not exist`);
    const stop = await request(server.url, { body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], stop: ['s'.repeat(3_000_000)] }) });
    expect(stop.status).toBe(400);
    expect(stop.text.length).toBeLessThan(500);
    for (const record of logs) expect(JSON.stringify(record).length).toBeLessThan(1000);
  });

  test('connections over the cap are answered 503 and closed', async () => {
    const small = await listen(createPipeline(engineWith(config([target('a')], [route('chat', ['a'])]), factory([], [])).engine), { port: 0, maxConnections: 3 });
    const port = Number(new URL(small.url).port);
    const idle = await Promise.all(Array.from({ length: 3 }, () => new Promise<net.Socket>((r) => { const s = net.connect(port, '127.0.0.1', () => r(s)); })));
    const refused = await new Promise<string>((resolve) => {
      let text = '';
      const s = net.connect(port, '127.0.0.1');
      s.on('data', (c) => (text += c));
      s.on('close', () => resolve(text));
    });
    expect(refused).toMatch(/^HTTP\/1.1 503 Service Unavailable\r\n/);
    expect(refused).toContain('"code":"too_many_connections"');
    idle.forEach((s) => s.destroy());
    await small.close();
  });
});
