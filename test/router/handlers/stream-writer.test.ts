import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeResponse } from '../../../lib/router/handlers/node-http';
import { deltaChunk, metaJson, sse, SSE_DONE, streamFramer, usageJson } from '../../../lib/router/handlers/openai-format';
import type { RouterResponse } from '../../../lib/router/handlers/pipeline';
import type { ResultMeta } from '../../../lib/router/engine/engine';

/** A server whose every response is `make()`, written by `writeResponse`; resolves its URL. */
async function serve(make: () => RouterResponse): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => void writeResponse(res, make()).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The whole body, with the client not reading for `pauseMs` first. */
function fetchText(url: string, pauseMs = 0): Promise<{ text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      res.pause();
      let text = '';
      setTimeout(() => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ text, headers: res.headers }));
        res.resume();
      }, pauseMs);
    }).on('error', reject);
  });
}

describe('writeResponse (Node response): frames ready together leave as one write', () => {
  test('every frame arrives, in order, whether it came in a burst or alone', async () => {
    const frames = Array.from({ length: 50 }, (_, i) => `data: {"n":${i}}\n\n`);
    async function* stream(): AsyncGenerator<string> {
      for (let i = 0; i < frames.length; i++) {
        yield frames[i];
        if (i % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 2)); // a burst ends
      }
    }
    const s = await serve(() => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, stream: stream() }));
    try {
      const { text, headers } = await fetchText(s.url);
      expect(text).toBe(frames.join(''));
      expect(headers['transfer-encoding']).toBe('chunked');
    } finally {
      await s.close();
    }
  });

  test('the answer ends with [DONE]; the stream is then run to its end (its last step after the bytes left)', async () => {
    let finished = false;
    async function* stream(): AsyncGenerator<string> {
      yield 'data: {"n":1}\n\n';
      yield SSE_DONE;
      await new Promise((resolve) => setTimeout(resolve, 50)); // e.g. the engine's log
      finished = true;
    }
    const s = await serve(() => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, stream: stream() }));
    try {
      const { text } = await fetchText(s.url);
      expect(text).toBe(`data: {"n":1}\n\n${SSE_DONE}`);
      expect(finished).toBe(false); // the client had it all before the stream's last step
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(finished).toBe(true);
    } finally {
      await s.close();
    }
  });

  test('a client that does not read holds the stream back (backpressure), then gets all of it', async () => {
    const frame = `data: ${'x'.repeat(64 * 1024)}\n\n`;
    const total = 400; // 26 MB: far more than socket buffers hold
    let produced = 0;
    async function* stream(): AsyncGenerator<string> {
      for (let i = 0; i < total; i++) {
        produced++;
        yield frame;
        await new Promise((resolve) => setImmediate(resolve)); // each frame its own burst
      }
    }
    const s = await serve(() => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, stream: stream() }));
    try {
      const done = fetchText(s.url, 300);
      await new Promise((resolve) => setTimeout(resolve, 250));
      // While the client reads nothing, the writer stops pulling once the socket is full.
      expect(produced).toBeLessThan(total);
      const { text } = await done;
      expect(text.length).toBe(frame.length * total);
      expect(produced).toBe(total);
    } finally {
      await s.close();
    }
  });
});

describe('streamFramer', () => {
  const base = { id: 'chatcmpl-r"1\u2028', created: 1763208000, model: 'chat-"default"' };
  const meta: ResultMeta = { requestId: 'r1', route: 'chat', target: 'a"b', attempts: 2, costNanoUsd: 36_800, overheadMs: 0.41234 };
  const usage = { promptTokens: 11, completionTokens: 7 };
  const f = streamFramer(base);

  test('gives byte for byte the frames of serializing each chunk object', () => {
    expect(f.role).toBe(sse(deltaChunk(base, { role: 'assistant', content: '' })));
    for (const text of ['Hi', '', ' "q" \\ \n \u0000 é 😀']) expect(f.delta(text)).toBe(sse(deltaChunk(base, { content: text })));
    for (const reason of ['stop', 'length', 'content_filter'] as const) {
      expect(f.finish(reason)).toBe(sse(deltaChunk(base, { content: '' }, reason)));
      expect(f.finish(reason, usage, meta)).toBe(sse({ ...deltaChunk(base, { content: '' }, reason), usage: usageJson(usage), x_ai_stack: metaJson(meta) }));
    }
    expect(f.usage(usage, meta)).toBe(sse({ id: base.id, object: 'chat.completion.chunk', created: base.created, model: base.model, choices: [], usage: usageJson(usage), x_ai_stack: metaJson(meta) }));
  });
});
