#!/usr/bin/env node
// Guard stage benchmark: what the router's guardrails add to a chat request.
//
//   node bench/guard.js [--requests 400]
//
// Bundles bench/guard/guard-bench.ts with esbuild and runs it twice in a fresh process: with a guard
// and a model that answer at once (the stage's own cost: the local filter, the Bedrock adapter's
// SigV4 and JSON, two checks per request), and with a guard answering in 20 ms and a model in 50 ms
// (where parallel mode saves the input check's wait). Sequential requests, interleaved by mode.
'use strict';

const { build } = require('esbuild');
const { execFileSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');

async function main() {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--requests');
  const requests = i >= 0 ? Number(argv[i + 1]) : 400;
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-guard-bench-'));
  try {
    const outfile = join(dir, 'guard-bench.js');
    await build({ entryPoints: [join(ROOT, 'bench/guard/guard-bench.ts')], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
    const runs = [
      { label: 'guard 0 ms, model 0 ms', guardMs: 0, modelMs: 0 },
      { label: 'guard 20 ms, model 50 ms', guardMs: 20, modelMs: 50 },
    ];
    console.log(`guard stage benchmark (node ${process.version}, ${requests} requests per mode, sequential; latency of engine.chat in ms)`);
    console.log(['setup', 'plain p50', 'plain p99', 'sequential p50', 'sequential p99', 'added p50', 'added p99', 'parallel p50', 'parallel p99', 'added p50', 'added p99'].join('  '));
    for (const r of runs) {
      const line = execFileSync(process.execPath, [outfile], { env: { ...process.env, GUARD_BENCH_REQUESTS: String(r.guardMs > 0 ? Math.min(requests, 100) : requests), GUARD_BENCH_GUARD_MS: String(r.guardMs), GUARD_BENCH_MODEL_MS: String(r.modelMs), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, encoding: 'utf8' });
      const m = JSON.parse(line.trim().split('\n').pop());
      const f = (x) => x.toFixed(3);
      console.log([r.label, f(m.plain.p50), f(m.plain.p99), f(m.sequential.p50), f(m.sequential.p99), f(m.sequentialAdded.p50), f(m.sequentialAdded.p99), f(m.parallel.p50), f(m.parallel.p99), f(m.parallelAdded.p50), f(m.parallelAdded.p99)].join('  '));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench/guard: ${err.message}`);
  process.exit(1);
});
