import type { ServerResponse } from 'node:http';
import { AzureOpenAIAdapter } from '../../../../lib/router/providers/azure-openai';
import { BedrockAdapter } from '../../../../lib/router/providers/bedrock';
import { EndpointAdapter } from '../../../../lib/router/providers/endpoint';
import type { ProviderAdapter, TargetConfig } from '../../../../lib/router/providers/types';
import { VertexAdapter } from '../../../../lib/router/providers/vertex';
import { bedrockEvent, bedrockException } from './event-stream';

/**
 * How a fake provider ends a stream after its first deltas:
 * - `ok`: finish reason and usage, as the provider sends them;
 * - `in-band-error`: the provider's own error event inside the 200 stream, then the end;
 * - `reset`: the TCP connection is destroyed;
 * - `malformed`: a frame that is not the provider's format, then the end;
 * - `truncated`: the body ends without a finish reason or usage;
 * - `stall`: nothing more is sent and the connection stays open.
 */
export type StreamEnding = 'ok' | 'in-band-error' | 'reset' | 'malformed' | 'truncated' | 'stall';

export interface StreamScript {
  readonly deltas: readonly string[];
  readonly usage: { readonly prompt: number; readonly completion: number };
  readonly ending: StreamEnding;
}

/** One provider's real wire format, for a local server standing in for it. */
export interface Wire {
  readonly provider: TargetConfig['provider'];
  target(id: string, baseUrl: string): TargetConfig;
  adapter(target: TargetConfig): ProviderAdapter;
  /** Answers a streaming call following `script`. */
  stream(res: ServerResponse, script: StreamScript): void;
  /** Answers a non-streaming call with `text`. */
  complete(res: ServerResponse, text: string, usage: StreamScript['usage']): void;
}

const base = { inputPer1kUsd: 0.001, outputPer1kUsd: 0.002, contextWindowTokens: 100000 };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

function sseHead(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}
const data = (v: unknown) => `data: ${typeof v === 'string' ? v : JSON.stringify(v)}\n\n`;

/** Ends a stream the way `ending` says, after the frames a wire wrote for the deltas. */
function finish(res: ServerResponse, ending: StreamEnding, last: { ok: string | Buffer; error: string | Buffer; malformed: string | Buffer }): void {
  if (ending === 'ok') res.end(last.ok);
  else if (ending === 'in-band-error') res.end(last.error);
  else if (ending === 'malformed') res.end(last.malformed);
  else if (ending === 'truncated') res.end();
  // After the deltas have left: a reset loses what is still in the socket's write buffer.
  else if (ending === 'reset') setTimeout(() => res.socket?.destroy(), 20);
  // stall: leave it open
}

/** OpenAI chat-completion chunks: Azure OpenAI and OpenAI-compatible GPU endpoints. */
function openAiStream(res: ServerResponse, s: StreamScript): void {
  sseHead(res);
  const chunk = (delta: unknown, finishReason: string | null = null) => ({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finishReason }] });
  res.write(data(chunk({ role: 'assistant', content: '' })));
  for (const d of s.deltas) res.write(data(chunk({ content: d })));
  const usage = { prompt_tokens: s.usage.prompt, completion_tokens: s.usage.completion, total_tokens: s.usage.prompt + s.usage.completion };
  finish(res, s.ending, {
    ok: data(chunk({}, 'stop')) + data({ id: 'c1', object: 'chat.completion.chunk', choices: [], usage }) + data('[DONE]'),
    error: data({ error: { message: 'The server had an error while processing your request.', type: 'server_error', code: 500 } }),
    malformed: 'data: {"choices": [{"delta": {"content": "unterminated\n\n',
  });
}

function openAiComplete(res: ServerResponse, text: string, u: StreamScript['usage']): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: u.prompt, completion_tokens: u.completion, total_tokens: u.prompt + u.completion } }));
}

export const WIRES: readonly Wire[] = [
  {
    provider: 'endpoint',
    target: (id, baseUrl) => ({ id, provider: 'endpoint', providerModelId: 'llama', baseUrl, ...base }),
    adapter: (t) => new EndpointAdapter(t),
    stream: openAiStream,
    complete: openAiComplete,
  },
  {
    provider: 'azure-openai',
    target: (id, baseUrl) => ({ id, provider: 'azure-openai', providerModelId: 'gpt-4o-mini', baseUrl, apiKey: 'azure-key', ...base }),
    adapter: (t) => new AzureOpenAIAdapter(t),
    stream: openAiStream,
    complete: openAiComplete,
  },
  {
    provider: 'vertex',
    target: (id, baseUrl) => ({ id, provider: 'vertex', providerModelId: 'gemini-2.5-flash', region: 'us-central1', project: 'p', baseUrl, ...base }),
    adapter: (t) => new VertexAdapter(t, { accessToken: async () => 'ya29.token' }),
    stream(res, s) {
      sseHead(res);
      // Vertex repeats the usage so far on every chunk; the last one has the totals.
      s.deltas.forEach((d, i) => res.write(data({ candidates: [{ content: { role: 'model', parts: [{ text: d }] } }], usageMetadata: { promptTokenCount: s.usage.prompt, candidatesTokenCount: i + 1 } })));
      finish(res, s.ending, {
        ok: data({ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: s.usage.prompt, candidatesTokenCount: s.usage.completion, totalTokenCount: s.usage.prompt + s.usage.completion } }),
        error: data({ error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } }),
        malformed: 'data: {"candidates": [\n\n',
      });
    },
    complete(res, text, u) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: u.prompt, candidatesTokenCount: u.completion } }));
    },
  },
  {
    provider: 'bedrock',
    target: (id, baseUrl) => ({ id, provider: 'bedrock', providerModelId: 'anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1', baseUrl, ...base }),
    adapter: (t) => new BedrockAdapter(t, { credentials }),
    stream(res, s) {
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-1' });
      res.write(bedrockEvent('messageStart', { role: 'assistant' }));
      for (const d of s.deltas) res.write(bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: d } }));
      finish(res, s.ending, {
        ok: Buffer.concat([
          bedrockEvent('contentBlockStop', { contentBlockIndex: 0 }),
          bedrockEvent('messageStop', { stopReason: 'end_turn' }),
          bedrockEvent('metadata', { usage: { inputTokens: s.usage.prompt, outputTokens: s.usage.completion, totalTokens: s.usage.prompt + s.usage.completion }, metrics: { latencyMs: 5 } }),
        ]),
        error: bedrockException('internalServerException', 'The system encountered an unexpected error during processing.'),
        // A prelude announcing more bytes than follow, then garbage: not an event-stream message.
        malformed: Buffer.from('00000040000000200000000000garbage-not-an-event-stream-frame', 'utf8'),
      });
    },
    complete(res, text, u) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ output: { message: { role: 'assistant', content: [{ text }] } }, stopReason: 'end_turn', usage: { inputTokens: u.prompt, outputTokens: u.completion, totalTokens: u.prompt + u.completion } }));
    },
  },
];
