import * as http from 'node:http';
import { RouterEngine } from '../../../lib/router/engine/engine';
import { createPipeline } from '../../../lib/router/handlers/pipeline';
import { listen, type RunningServer } from '../../../lib/router/handlers/node-http';
import type { RequestLog } from '../../../lib/router/log';
import { config, KEY, route, tenant } from '../engine/helpers';
import { FakeServer } from '../providers/support/fake-server';
import { WIRES, type StreamEnding, type Wire } from '../providers/support/wires';

/**
 * Issue #10, item 3: whatever a provider does to a stream, the router process survives and its
 * connection pools stay usable. Each case breaks one stream mid-way on one provider's real wire
 * format, then serves more streams through the same router and the same upstream pool: 100 after
 * the in-band error (the event that used to kill the process), 10 after each other break.
 */
const FOLLOW_UPS: Partial<Record<StreamEnding, number>> = { 'in-band-error': 100 };

const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });

/** POSTs a streaming chat request to the router; resolves with the status and the whole SSE text. */
function streamOnce(url: string, leaveAfterFirstChunk = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'Tell me a story' }] });
    const req = http.request(`${url}/v1/chat/completions`, { method: 'POST', agent: leaveAfterFirstChunk ? false : agent, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (leaveAfterFirstChunk && text.includes('"content":"one"')) {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, text });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', (e) => (leaveAfterFirstChunk ? undefined : reject(e)));
    req.end(body);
  });
}

async function many(n: number, concurrency: number, fn: () => Promise<void>): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < n) {
      started++;
      await fn();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);
beforeAll(() => process.on('uncaughtException', onUncaught));
afterAll(() => {
  process.off('uncaughtException', onUncaught);
  agent.destroy();
});

describe.each(WIRES.map((w) => [w.provider, w] as const))('a stream broken mid-way on %s', (_name, wire: Wire) => {
  let upstream: FakeServer;
  let router: RunningServer;
  const logs: RequestLog[] = [];
  let next: StreamEnding = 'ok';

  beforeAll(async () => {
    upstream = await FakeServer.start();
    upstream.handler = (_req, res) => {
      const ending = next;
      next = 'ok';
      wire.stream(res, { deltas: ['one', ' two', ' three'], usage: { prompt: 12, completion: 3 }, ending });
    };
    const target = wire.target('t', upstream.url);
    // A gap timeout short enough that a stalled stream fails quickly, long enough that a loaded CI
    // machine (SigV4 signing, two test workers) never times out a healthy follow-up; retries 0 so each request is one call.
    // The breaker does count these failures; its threshold is high so every case reaches the target.
    const cfg = { ...config([{ ...target, maxOutputTokens: 1000 }], [route('chat', ['t'], { timeoutMs: 1500, retries: 0 })], [tenant()]), breaker: { failureThreshold: 1000, windowMs: 1000, cooldownMs: 1000 } };
    const engine = new RouterEngine(cfg, { adapterFactory: wire.adapter, logger: (r) => logs.push(r) });
    router = await listen(createPipeline(engine), { port: 0 });
  });

  afterAll(async () => {
    await router.close();
    await upstream.close();
  });

  test.each<StreamEnding>(['in-band-error', 'reset', 'malformed', 'truncated', 'stall'])('%s, then more streams on the same pool', async (ending) => {
    const followUps = FOLLOW_UPS[ending] ?? 10;
    next = ending;
    const broken = await streamOnce(router.url);
    expect(broken.status).toBe(200);
    expect(broken.text).toContain('"content":"one"');
    expect(broken.text).toContain('"code":"upstream_stream_failed"');
    expect(broken.text).not.toContain('[DONE]');
    // Charged from the provider's own usage where it sent some before the break (Vertex, on every
    // chunk), else the prompt bound ('Tell me a story': 15 bytes + 16 template tokens); never less
    // than the provider's 12 prompt and 3 completion tokens for the whole stream.
    const charged = logs[logs.length - 1];
    expect(charged).toMatchObject({ outcome: 'upstream_stream_failed', promptTokens: wire.provider === 'vertex' ? 12 : 31 });
    expect(charged.completionTokens).toBeGreaterThanOrEqual(3);

    const connectionsBefore = upstream.connections;
    let done = 0;
    await many(followUps, 5, async () => {
      const r = await streamOnce(router.url);
      if (r.status === 200 && r.text.includes('"content":" three"') && r.text.endsWith('data: [DONE]\n\n')) done++;
    });
    expect(done).toBe(followUps);
    // Reused keep-alive connections, not one per request (5 at a time, plus one the break may have cost).
    expect(upstream.connections - connectionsBefore).toBeLessThanOrEqual(6);
    expect(uncaught).toEqual([]);
  });

  test('a client that leaves mid-stream, then more streams', async () => {
    next = 'stall';
    const left = await streamOnce(router.url, true);
    expect(left.text).toContain('"content":"one"');
    // The router aborts the upstream call it no longer needs.
    await upstream.aborted[upstream.aborted.length - 1];
    let done = 0;
    await many(10, 5, async () => {
      const r = await streamOnce(router.url);
      if (r.text.endsWith('data: [DONE]\n\n')) done++;
    });
    expect(done).toBe(10);
    expect(logs.some((l) => l.outcome === 'client_closed')).toBe(true);
    expect(uncaught).toEqual([]);
  });
});
