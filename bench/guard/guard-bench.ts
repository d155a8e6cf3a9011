// The guard stage's added latency: the same chat requests through the engine without guardrails,
// with them in sequential mode (input check, then the model) and in parallel mode (the model call
// starts alongside the input check). The cloud guard is the real Bedrock adapter (SDK, SigV4)
// against a local server speaking ApplyGuardrail's JSON; the model is a local OpenAI-compatible
// server. bench/guard.js bundles this file with esbuild and runs it; it prints one JSON line.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RouterConfig } from '../../lib/router/config';
import { RouterEngine } from '../../lib/router/engine/engine';
import { hashKey } from '../../lib/router/engine/keys';
import { parseChatBody } from '../../lib/router/engine/request';
import { BedrockGuard } from '../../lib/router/guard/bedrock';
import { guardConfigFromDesign } from '../../lib/router/guard/config';
import { silentLogger } from '../../lib/router/log';

const REQUESTS = Number(process.env.GUARD_BENCH_REQUESTS ?? 400);
const GUARD_MS = Number(process.env.GUARD_BENCH_GUARD_MS ?? 0);
const MODEL_MS = Number(process.env.GUARD_BENCH_MODEL_MS ?? 0);
const KEY = 'guard-bench-key-0123456789abcdef';

function serve(handler: http.RequestListener): Promise<{ url: string; close: () => void }> {
  const server = http.createServer({ keepAlive: true }, handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => {
          server.closeAllConnections();
          server.close();
        },
      }),
    ),
  );
}

const later = (ms: number, f: () => void) => (ms > 0 ? setTimeout(f, ms) : setImmediate(f));

function read(req: http.IncomingMessage, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
}

async function main(): Promise<void> {
  const guardServer = await serve((req, res) =>
    read(req, () =>
      later(GUARD_MS, () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ action: 'NONE', outputs: [], assessments: [], usage: { topicPolicyUnits: 0, contentPolicyUnits: 1, wordPolicyUnits: 1, sensitiveInformationPolicyUnits: 1, sensitiveInformationPolicyFreeUnits: 0, contextualGroundingPolicyUnits: 0 } }));
      }),
    ),
  );
  const model = await serve((req, res) =>
    read(req, () =>
      later(MODEL_MS, () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! How can I help you today?' }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 } }));
      }),
    ),
  );
  const base: RouterConfig = {
    version: 1,
    name: 'guard-bench',
    targets: [{ id: 'up', provider: 'endpoint', providerModelId: 'm', baseUrl: model.url, inputPer1kUsd: 0.001, outputPer1kUsd: 0.002, contextWindowTokens: 8192, maxOutputTokens: 1024 }],
    routes: [{ name: 'chat', strategy: 'ordered', targets: [{ target: 'up', weight: 1 }], tiers: [], fallbacks: [], timeoutMs: 5000, deadlineMs: 5000, retries: 0, onContentFilter: 'fail' }],
    tenants: [{ id: 't', monthlyBudgetUsd: 1000, requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000, keySha256: [hashKey(KEY)] }],
    breaker: { failureThreshold: 50, windowMs: 30000, cooldownMs: 30000 },
  };
  const guardAdapter = new BedrockGuard({ guardrailId: 'gr-bench', guardrailVersion: '1', region: 'us-east-1', endpoint: guardServer.url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' } });
  const engines: Record<string, RouterEngine> = {
    plain: new RouterEngine(base, { logger: silentLogger, resolvePackage: false }),
    sequential: new RouterEngine({ ...base, guard: guardConfigFromDesign({ pii: { action: 'mask' }, blockedWords: ['project-nightingale'] }) }, { logger: silentLogger, resolvePackage: false, guardAdapter }),
    parallel: new RouterEngine({ ...base, guard: guardConfigFromDesign({ pii: { action: 'mask' }, blockedWords: ['project-nightingale'], parallel: true }) }, { logger: silentLogger, resolvePackage: false, guardAdapter }),
  };
  const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Write to jane.doe@example.com and summarize the last invoice in two sentences, please.' }], max_tokens: 64 });
  const once = async (engine: RouterEngine): Promise<number> => {
    const start = performance.now();
    await engine.chat({ tenant: engine.tenants.authenticate(`Bearer ${KEY}`), parsed: parseChatBody(body), requestId: 'b', startedAt: engine.clock.now() });
    return performance.now() - start;
  };
  // Warm up every path (SDK load, connections), then interleave the modes so drift hits all alike.
  for (const e of Object.values(engines)) for (let i = 0; i < 30; i++) await once(e);
  const samples: Record<string, number[]> = { plain: [], sequential: [], parallel: [] };
  for (let i = 0; i < REQUESTS; i++) for (const [mode, e] of Object.entries(engines)) samples[mode].push(await once(e));
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  };
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const out: Record<string, unknown> = { requests: REQUESTS, guardMs: GUARD_MS, modelMs: MODEL_MS };
  for (const mode of Object.keys(samples)) out[mode] = { p50: round(pct(samples[mode], 50)), p99: round(pct(samples[mode], 99)) };
  for (const mode of ['sequential', 'parallel']) out[`${mode}Added`] = { p50: round(pct(samples[mode], 50) - pct(samples.plain, 50)), p99: round(pct(samples[mode], 99) - pct(samples.plain, 99)) };
  console.log(JSON.stringify(out));
  guardServer.close();
  model.close();
}

main().catch((err: Error) => {
  console.error(`guard-bench: ${err.stack ?? err.message}`);
  process.exit(1);
});
