import type { EngineStreamEvent } from '../../../lib/router/engine/stream';
import { MemoryLedger } from '../../../lib/router/stores/memory-ledger';
import { ProviderError, type AdapterFactory, type StreamEvent } from '../../../lib/router/providers/types';
import { chat, config, engineWith, fakeFactory, route, target } from './helpers';
import type { CancelSignal } from '../../../lib/router/engine/cancel';

type Script = (signal: CancelSignal) => AsyncIterable<StreamEvent>;

/** Adapters whose streams follow a script per target. */
function streamFactory(scripts: Record<string, Script>): { factory: AdapterFactory; opened: string[]; signals: CancelSignal[] } {
  const opened: string[] = [];
  const signals: CancelSignal[] = [];
  const factory: AdapterFactory = (t) => ({
    target: t,
    complete: async () => {
      throw new Error('this test streams only');
    },
    stream: (_req, signal) => {
      opened.push(t.id);
      signals.push(signal);
      return scripts[t.id](signal);
    },
  });
  return { factory, opened, signals };
}

async function collect(events: AsyncIterable<EngineStreamEvent>): Promise<EngineStreamEvent[]> {
  const out: EngineStreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

const MONTH = '2025-11';

describe('streaming', () => {
  test('deltas then one done carrying the usage and cost; the ledger settles the reported usage', async () => {
    const ledger = new MemoryLedger();
    const { factory } = fakeFactory({ a: async () => ({ content: 'abcdefghi', finishReason: 'stop', usage: { promptTokens: 7, completionTokens: 3 } }) });
    const { engine, logs } = engineWith(config([target('a')], [route('r', ['a'])]), factory, { ledger });
    const result = await chat(engine, { model: 'r', stream: true });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    expect(result).toMatchObject({ target: 'a', attempts: 1 });
    const events = await collect(result.events);
    expect(events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text).join('')).toBe('abcdefghi');
    const done = events[events.length - 1];
    expect(done).toMatchObject({ type: 'done', finishReason: 'stop', usage: { promptTokens: 7, completionTokens: 3 }, meta: { target: 'a', attempts: 1, costNanoUsd: 7 * 1000 + 3 * 2000 } });
    expect(await ledger.spent('acme', MONTH)).toEqual({ spentNanoUsd: 13_000, reservedNanoUsd: 0 });
    expect(logs[0]).toMatchObject({ outcome: 'ok', stream: true, costUsd: 0.000013 });
  });

  test('a failure before the first event is retried and falls back like a completion', async () => {
    const { factory, opened } = streamFactory({
      a: async function* () {
        throw new ProviderError('server', 'unavailable', 503);
      },
      b: async function* () {
        yield { type: 'delta', text: 'from b' };
        yield { type: 'done', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 2 } };
      },
    });
    const { engine } = engineWith(config([target('a'), target('b')], [route('r', ['a'], { fallbacks: ['b'], retries: 1 })]), factory);
    const result = await chat(engine, { model: 'r', stream: true });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    expect(result).toMatchObject({ target: 'b', attempts: 3 });
    expect(opened).toEqual(['a', 'a', 'b']);
    const events = await collect(result.events);
    expect(events[0]).toEqual({ type: 'delta', text: 'from b' });
  });

  test('a failure after the first delta is not retried: the stream ends with an error carrying the estimated cost', async () => {
    const ledger = new MemoryLedger();
    const { factory, opened } = streamFactory({
      a: async function* () {
        yield { type: 'delta', text: '12345678' };
        throw new ProviderError('server', 'connection reset');
      },
      b: async function* () {
        yield { type: 'done', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
      },
    });
    const { engine, logs } = engineWith(config([target('a'), target('b')], [route('r', ['a'], { fallbacks: ['b'] })]), factory, { ledger });
    const result = await chat(engine, { model: 'r', stream: true });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    const events = await collect(result.events);
    expect(opened).toEqual(['a']);
    const last = events[events.length - 1];
    if (last.type !== 'error') throw new Error('expected an error event');
    expect(last.error).toMatchObject({ status: 502, code: 'upstream_stream_failed' });
    expect(last.error.message).toBe("target 'a' failed after streaming 8 characters: connection reset; the output is incomplete");
    // upper bound: 'hello there' → 11 bytes + 16 template = 27 prompt tokens; 8 bytes + 32 tail → 40
    expect(last.usage).toEqual({ promptTokens: 27, completionTokens: 40 });
    expect(last.meta.costNanoUsd).toBe(27 * 1000 + 40 * 2000);
    expect(await ledger.spent('acme', MONTH)).toEqual({ spentNanoUsd: 107_000, reservedNanoUsd: 0 });
    expect(logs[0]).toMatchObject({ outcome: 'upstream_stream_failed', status: 502 });
  });

  test('a gap longer than timeoutMs between events ends the stream with a timeout error', async () => {
    const { factory, signals } = streamFactory({
      a: async function* (signal) {
        yield { type: 'delta', text: 'partial' };
        await new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
    });
    const { engine, clock } = engineWith(config([target('a')], [route('r', ['a'], { timeoutMs: 800 })]), factory);
    const result = await chat(engine, { model: 'r', stream: true });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    const events = await collect(result.events);
    const last = events[events.length - 1];
    expect(last.type === 'error' && last.error.message).toMatch(/no stream event for 800 ms/);
    expect(signals[0].aborted).toBe(true);
    expect(clock.t).toBe(800);
  });

  test('a client leaving mid-stream aborts the upstream and settles the estimate', async () => {
    const ledger = new MemoryLedger();
    const { factory, signals } = streamFactory({
      a: async function* () {
        yield { type: 'delta', text: 'abcd' };
        yield { type: 'delta', text: 'efgh' };
        yield { type: 'done', finishReason: 'stop', usage: { promptTokens: 100, completionTokens: 100 } };
      },
    });
    const { engine, logs } = engineWith(config([target('a')], [route('r', ['a'])]), factory, { ledger });
    const result = await chat(engine, { model: 'r', stream: true });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    const iterator = result.events[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: { type: 'delta', text: 'abcd' } });
    await iterator.return?.(undefined);
    expect(signals[0].aborted).toBe(true);
    // The prompt bound and the 4 bytes delivered + 32 tail.
    expect(await ledger.spent('acme', MONTH)).toEqual({ spentNanoUsd: 27 * 1000 + 36 * 2000, reservedNanoUsd: 0 });
    expect(logs[0]).toMatchObject({ outcome: 'client_closed', status: 499 });
  });

  test('a client leaving before reading anything still frees the reservation and aborts the upstream', async () => {
    const ledger = new MemoryLedger();
    const { factory, signals } = streamFactory({
      a: async function* () {
        yield { type: 'delta', text: 'abcdefgh' };
        yield { type: 'done', finishReason: 'stop', usage: { promptTokens: 100, completionTokens: 100 } };
      },
    });
    const { engine, logs } = engineWith(config([target('a')], [route('r', ['a'])]), factory, { ledger });
    const result = await chat(engine, { model: 'r', stream: true });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    await result.events[Symbol.asyncIterator]().return?.(undefined);
    expect(signals[0].aborted).toBe(true);
    // The first delta (8 bytes) was produced upstream, so it is charged, with the tail and prompt bound.
    expect(await ledger.spent('acme', MONTH)).toEqual({ spentNanoUsd: 27 * 1000 + 40 * 2000, reservedNanoUsd: 0 });
    expect(logs[0]).toMatchObject({ outcome: 'client_closed', status: 499 });
  });

  test('a stream that ends without its usage event is an upstream failure', async () => {
    const { factory } = streamFactory({
      a: async function* () {
        yield { type: 'delta', text: 'abc' };
      },
    });
    const { engine } = engineWith(config([target('a')], [route('r', ['a'])]), factory);
    const result = await chat(engine, { model: 'r', stream: true });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    const events = await collect(result.events);
    const last = events[events.length - 1];
    expect(last.type === 'error' && last.error.message).toMatch(/ended without its final usage event/);
  });
});
