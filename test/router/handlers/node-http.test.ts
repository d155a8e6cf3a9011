import * as http from 'node:http';
import { listen, MAX_BODY_BYTES, type RunningServer } from '../../../lib/router/handlers/node-http';
import { createPipeline } from '../../../lib/router/handlers/pipeline';
import type { AdapterFactory, StreamEvent } from '../../../lib/router/providers/types';
import { systemClock } from '../../../lib/router/engine/clock';
import type { RequestLog } from '../../../lib/router/log';
import { config, engineWith, KEY, route, target } from '../engine/helpers';
import type { CancelSignal } from '../../../lib/router/engine/cancel';

/** A target that streams one delta, then waits until aborted. */
function stallingFactory(signals: CancelSignal[]): AdapterFactory {
  return (t) => ({
    target: t,
    complete: async () => ({ content: 'ok', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } }),
    async *stream(_req, signal): AsyncIterable<StreamEvent> {
      signals.push(signal);
      yield { type: 'delta', text: 'first words' };
      await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    },
  });
}

function post(url: string, body: string | Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Node http server', () => {
  let server: RunningServer;
  const signals: CancelSignal[] = [];
  const logs: RequestLog[] = [];

  beforeAll(async () => {
    const { engine } = engineWith(config([target('a')], [route('chat', ['a'], { timeoutMs: 60000, deadlineMs: 60000 })]), stallingFactory(signals), { clock: systemClock, logger: (r) => logs.push(r) });
    server = await listen(createPipeline(engine), { port: 0 });
  });

  afterAll(() => server.close());

  test('serves a completion with its headers and content-length', async () => {
    const r = await post(server.url, JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).choices[0].message.content).toBe('ok');
  });

  test('a body over the limit is refused with 413', async () => {
    const r = await post(server.url, Buffer.alloc(MAX_BODY_BYTES + 1, 'a'));
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text).error).toMatchObject({ code: 'request_too_large', message: `request body is ${MAX_BODY_BYTES + 1} bytes, larger than the limit of ${MAX_BODY_BYTES} bytes` });
  });

  test('a client leaving mid-stream aborts the upstream call and settles', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } }, (res) => {
        expect(res.headers['x-ai-stack-target']).toBe('a');
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
      req.end(JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    });
    for (let i = 0; i < 100 && !logs.some((l) => l.outcome === 'client_closed'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(signals[signals.length - 1].aborted).toBe(true);
    expect(logs[logs.length - 1]).toMatchObject({ outcome: 'client_closed', status: 499, stream: true });
  });
});
