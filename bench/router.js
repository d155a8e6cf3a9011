#!/usr/bin/env node
// Router benchmark: what the router adds on top of its upstream.
//
//   node bench/router.js [--seconds 5] [--connections 1,50,200] [--rate N] [--trials 5] [--streams-only] [--json]
//
// 1. Bundles the three cloud handlers with esbuild (the same build as scripts/build-router.js) and
//    the benchmark's Node HTTP server (bench/router/router-server.ts) into a temporary directory.
// 2. Starts an OpenAI-compatible upstream with a fixed small answer (bench/router/upstream.js) and
//    the router in front of it, each in its own process.
// 3. With autocannon, loads the upstream directly and then through the router at each connection
//    count, twice: closed loop (throughput; latency then includes queueing behind the slower side)
//    and at a fixed rate both sustain (half the router's throughput, or --rate N requests/s to
//    compare runs at the same load), which isolates the latency the router adds. Reports
//    requests/s, p50/p99, added latency (router − direct) in ms and as a ratio, and the router's
//    own time per request from its logs (overheadMs). The fixed-rate pair runs --trials times,
//    direct and router alternating; its figures are the medians over the trials, and every trial's
//    added p99 is printed beside them, with the router's CPU time per request (bench/router/cpu.js:
//    user + system from /proc, which waiting for a core does not inflate as it does latency). On a
//    shared 2-core machine one 5 s run's p99 rests on its ~50 slowest requests, and a single
//    scheduler or GC stall in any of the three processes moves it by several ms (a bare 20-line
//    Node proxy measured 1.1-9.9 ms over five such runs).
// 4. Streams (`"stream": true`; the upstream sends 12 SSE chunks): the same closed-loop then
//    fixed-rate pair at 50 connections, with the time to first byte (the first event) beside the
//    total. Each fixed-rate trial also runs through a bare Node proxy (bench/router/bare-proxy.js)
//    at the same rate: what it adds is the floor of one more Node HTTP hop on this machine, printed
//    beside the router's figures. --streams-only skips the plain runs.
// 5. Reports each bundle's size and its cold start in a fresh process (require + first request).
// Targets: added p50 ≤ 1 ms and p99 ≤ 5 ms at 50 connections; streams: added p50 ≤ 0.5 ms,
// p99 ≤ 2 ms and time to first byte ≤ 0.5 ms at 50 connections; Lambda bundle ≤ 1 MiB without the
// AWS SDK. All processes share this machine's cores, so absolute numbers depend on it.
'use strict';

const { build } = require('esbuild');
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { closeSync, mkdtempSync, openSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { TARGETS, bundle } = require('../scripts/build-router');
const { load, overheadFromLog } = require('./router/measure');
const { cpuSteal, withCpuPerRequest } = require('./router/cpu');
const { paced } = require('./router/paced');
const { startChild, stopChild } = require('./router/processes');

const ROOT = resolve(__dirname, '..');
const KEY = 'bench-tenant-key-0123456789abcdef';
const REQUEST = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 16 });
const STREAM_REQUEST = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 16, stream: true });
const TARGET_P50_MS = 1;
const TARGET_P99_MS = 5;
const STREAM_TARGET_P50_MS = 0.5;
const STREAM_TARGET_P99_MS = 2;
const STREAM_TARGET_TTFB_MS = 0.5;
const STREAM_CONNECTIONS = 50;
const AWS_LIMIT_BYTES = 1024 * 1024;

function options(argv) {
  const get = (flag, fallback) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
  };
  const seconds = Number(get('--seconds', '5'));
  const connections = get('--connections', '1,50,200').split(',').map(Number);
  const rate = get('--rate', undefined) === undefined ? undefined : Number(get('--rate'));
  const trials = Number(get('--trials', '5'));
  if (!(seconds > 0) || connections.some((c) => !(c > 0)) || (rate !== undefined && !(rate > 0)) || !Number.isInteger(trials) || trials < 1) {
    throw new Error('usage: node bench/router.js [--seconds N] [--connections 1,50,200] [--rate N] [--trials N] [--json]');
  }
  return { seconds, connections, rate, trials, streamsOnly: argv.includes('--streams-only'), json: argv.includes('--json') };
}

/** The router config (the JSON form of lib/router/config.ts) for one endpoint target at `url`. */
function routerConfig(url) {
  return {
    version: 1,
    name: 'bench',
    targets: [{ id: 'upstream', provider: 'endpoint', providerModelId: 'bench-model', baseUrl: url, inputPer1kUsd: 0.0001, outputPer1kUsd: 0.0002, contextWindowTokens: 32768, maxOutputTokens: 4096 }],
    routes: [{ name: 'bench', strategy: 'ordered', targets: [{ target: 'upstream', weight: 1 }], tiers: [], fallbacks: [], timeoutMs: 30000, deadlineMs: 60000, retries: 0, onContentFilter: 'fail' }],
    // Limits far above what the run can reach: the benchmark measures routing, not refusals.
    tenants: [{ id: 'bench', monthlyBudgetUsd: 9_000_000, requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000_000, keySha256: [createHash('sha256').update(KEY).digest('hex')] }],
    breaker: { failureThreshold: 5, windowMs: 30000, cooldownMs: 30000 },
  };
}

async function buildAll(dir) {
  const bundles = [];
  for (const t of TARGETS) bundles.push(await bundle(t, dir));
  const server = join(dir, 'server', 'index.js');
  await build({ entryPoints: [join(__dirname, 'router', 'router-server.ts')], outfile: server, bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, logLevel: 'warning' });
  return { bundles, server };
}

function coldStart(cloud, file, env) {
  const out = execFileSync(process.execPath, [join(__dirname, 'router', 'cold-start.js'), cloud, resolve(file)], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

/** Requests a run sent: a fixed-rate run's warm-up included (its CPU time is in the measure), else those answered. */
const requestsSent = (r) => r.sent ?? r.requests;

/** The median (the mean of the two middle values for an even count). */
function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** One figure per field over several trials of the same pair: the medians, and the trials themselves. */
function medianOfTrials(trials) {
  const side = (which) => ({ rps: median(trials.map((t) => t[which].rps)), p50: median(trials.map((t) => t[which].p50)), p99: median(trials.map((t) => t[which].p99)), ttfbP50: median(trials.map((t) => t[which].ttfbP50)), cpuMsPerRequest: median(trials.map((t) => t[which].cpuMsPerRequest)) });
  const direct = side('direct');
  const router = side('router');
  const addedP50 = median(trials.map((t) => t.addedP50));
  const addedP99 = median(trials.map((t) => t.addedP99));
  const addedTtfbP50 = median(trials.map((t) => t.router.ttfbP50 - t.direct.ttfbP50));
  return { connections: trials[0].connections, rate: trials[0].rate, direct, router, addedP50, addedP99, addedTtfbP50, ratioP50: router.p50 / direct.p50, ratioP99: router.p99 / direct.p99, trials };
}

const ms = (n) => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((cell, c) => String(cell).padStart(c === 0 ? 0 : widths[c]).padEnd(c === 0 ? widths[c] : 0)).join('  ')).join('\n');
}

async function main() {
  const opts = options(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-router-bench-'));
  const children = [];
  try {
    const { bundles, server } = await buildAll(dir);
    const upstream = await startChild(join(__dirname, 'router', 'upstream.js'));
    children.push(upstream.child);
    // One tenant sends everything: in-flight caps far above the 200 connections (see PIPELINE_ENV).
    const env = { AI_STACK_ROUTER_CONFIG: JSON.stringify(routerConfig(upstream.url)), BENCH_KEY: KEY, AI_STACK_ROUTER_MAX_IN_FLIGHT: '100000', AI_STACK_ROUTER_MAX_IN_FLIGHT_PER_TENANT: '100000' };
    const logPath = join(dir, 'router.log');
    const logFd = openSync(logPath, 'w');
    const router = await startChild(server, { env, stdout: logFd });
    children.push(router.child);
    const bare = await startChild(join(__dirname, 'router', 'bare-proxy.js'), { env: { BENCH_UPSTREAM: upstream.url } });
    children.push(bare.child);

    const direct = `${upstream.url}/v1/chat/completions`;
    const routed = `${router.url}/v1/chat/completions`;
    const headers = { authorization: `Bearer ${KEY}` };
    // Warm up both (JIT, connection pools, the router's lazy engine) before measuring.
    await load(direct, { connections: 50, seconds: 2, body: REQUEST, headers });
    await load(routed, { connections: 50, seconds: 2, body: REQUEST, headers });
    const warmupLines = readFileSync(logPath, 'utf8').length;

    const pair = async (connections, rate, body = REQUEST) => {
      const run = (url) => (rate ? paced(url, { connections, seconds: opts.seconds, rate, body, headers }) : load(url, { connections, seconds: opts.seconds, body, headers }));
      const d = await run(direct);
      const r = await withCpuPerRequest(router.child.pid, () => run(routed), requestsSent);
      if (r.non2xx > 0 || r.errors > 0 || d.non2xx > 0 || d.errors > 0) throw new Error(`failed requests at ${connections} connections: direct ${d.non2xx} non-2xx/${d.errors} errors, router ${r.non2xx}/${r.errors}`);
      return { connections, rate, direct: d, router: r, addedP50: r.p50 - d.p50, addedP99: r.p99 - d.p99, ratioP50: r.p50 / d.p50, ratioP99: r.p99 / d.p99 };
    };
    // All closed-loop runs first: saturating the router leaves a large heap behind, whose
    // collection would otherwise land in the fixed-rate runs that follow at the same count.
    const saturated = [];
    if (!opts.streamsOnly) for (const connections of opts.connections) saturated.push(await pair(connections));
    // Streams: warm the stream path, then their closed loop, before any fixed-rate run (same reason).
    await load(routed, { connections: 50, seconds: 2, body: STREAM_REQUEST, headers });
    const streamSaturated = await pair(STREAM_CONNECTIONS, undefined, STREAM_REQUEST);
    const stealBefore = cpuSteal();
    const steady = [];
    for (const s of saturated) {
      // Half the router's closed-loop throughput: a load both sides sustain without queueing, so
      // the difference in latency is what the router adds to each request.
      const rate = opts.rate ?? Math.max(1, Math.floor(s.router.rps / 2));
      const trials = [];
      for (let t = 0; t < opts.trials; t++) trials.push(await pair(s.connections, rate));
      steady.push(medianOfTrials(trials));
    }
    const streamRate = opts.rate ?? Math.max(1, Math.floor(streamSaturated.router.rps / 2));
    const streamTrials = [];
    const bareTrials = [];
    const bareUrl = `${bare.url}/v1/chat/completions`;
    await load(bareUrl, { connections: 50, seconds: 2, body: STREAM_REQUEST, headers });
    for (let t = 0; t < opts.trials; t++) {
      const trial = await pair(STREAM_CONNECTIONS, streamRate, STREAM_REQUEST);
      streamTrials.push(trial);
      const b = await withCpuPerRequest(bare.child.pid, () => paced(bareUrl, { connections: STREAM_CONNECTIONS, seconds: opts.seconds, rate: streamRate, body: STREAM_REQUEST, headers }), requestsSent);
      bareTrials.push({ addedP50: b.p50 - trial.direct.p50, addedP99: b.p99 - trial.direct.p99, addedTtfbP50: b.ttfbP50 - trial.direct.ttfbP50, cpuMsPerRequest: b.cpuMsPerRequest });
    }
    const streams = medianOfTrials(streamTrials);
    const bareFloor = { addedP50: median(bareTrials.map((t) => t.addedP50)), addedP99: median(bareTrials.map((t) => t.addedP99)), addedTtfbP50: median(bareTrials.map((t) => t.addedTtfbP50)), cpuMsPerRequest: median(bareTrials.map((t) => t.cpuMsPerRequest)), trials: bareTrials };
    const steal = cpuSteal() - stealBefore;
    closeSync(logFd);
    const overhead = overheadFromLog(readFileSync(logPath, 'utf8').slice(warmupLines));

    await stopChild(router.child);
    const cold = bundles.map((b) => ({ ...b, ...coldStart(b.cloud, b.file, env) }));

    const at50 = steady.find((r) => r.connections === 50);
    const aws = cold.find((c) => c.cloud === 'aws');
    const checks = [
      [`streams: added p50 at ${STREAM_CONNECTIONS} connections (fixed rate, median of ${opts.trials}) ≤ ${STREAM_TARGET_P50_MS} ms`, `${ms(streams.addedP50)} ms`, streams.addedP50 <= STREAM_TARGET_P50_MS],
      [`streams: added p99 at ${STREAM_CONNECTIONS} connections (fixed rate, median of ${opts.trials}) ≤ ${STREAM_TARGET_P99_MS} ms`, `${ms(streams.addedP99)} ms`, streams.addedP99 <= STREAM_TARGET_P99_MS],
      [`streams: added time to first byte p50 at ${STREAM_CONNECTIONS} connections ≤ ${STREAM_TARGET_TTFB_MS} ms`, `${ms(streams.addedTtfbP50)} ms`, streams.addedTtfbP50 <= STREAM_TARGET_TTFB_MS],
      at50 && [`added p50 at 50 connections (fixed rate, median of ${opts.trials}) ≤ ${TARGET_P50_MS} ms`, `${ms(at50.addedP50)} ms`, at50.addedP50 <= TARGET_P50_MS],
      at50 && [`added p99 at 50 connections (fixed rate, median of ${opts.trials}) ≤ ${TARGET_P99_MS} ms`, `${ms(at50.addedP99)} ms`, at50.addedP99 <= TARGET_P99_MS],
      ['Lambda bundle ≤ 1 MiB without the AWS SDK', kib(aws.bytes), aws.bytes <= AWS_LIMIT_BYTES],
    ].filter(Boolean);

    console.log(`router benchmark (node ${process.version}, ${opts.seconds} s per run; load generator in this process, upstream and router each in their own)\n`);
    const rows = (runs) => [
      ['connections', 'direct req/s', 'router req/s', 'direct p50', 'router p50', 'added p50', 'ratio p50', 'direct p99', 'router p99', 'added p99', 'ratio p99', 'router CPU/req'],
      ...runs.map((r) => [r.connections, r.direct.rps.toFixed(0), r.router.rps.toFixed(0), ms(r.direct.p50), ms(r.router.p50), ms(r.addedP50), r.ratioP50.toFixed(2), ms(r.direct.p99), ms(r.router.p99), ms(r.addedP99), r.ratioP99.toFixed(2), ms(r.router.cpuMsPerRequest)]),
    ];
    console.log('closed loop (each connection sends as fast as it is answered: throughput; latency includes queueing)');
    if (saturated.length > 0) console.log(table(rows(saturated)));
    console.log(`\nfixed rate, evenly paced (${opts.rate ? `--rate ${opts.rate}` : "half the router's closed-loop req/s"}, the same rate direct and through the router: the latency the router adds; medians of ${opts.trials} trials)`);
    const steadyRows = rows(steady);
    steadyRows[0].push('added p99 per trial');
    steady.forEach((r, i) => steadyRows[i + 1].push(r.trials.map((t) => ms(t.addedP99)).join(' ')));
    if (steady.length > 0) console.log(table(steadyRows));
    console.log(`\nstreams ("stream": true, 12 SSE chunks), closed loop then fixed rate (${opts.rate ? `--rate ${opts.rate}` : 'half the closed-loop req/s'}; medians of ${opts.trials} trials)`);
    const streamRows = rows([streamSaturated, streams]);
    streamRows[0].push('direct ttfb p50', 'router ttfb p50', 'added ttfb p50', 'added p99 per trial');
    streamRows[1].push('', '', '', '');
    streamRows[2].push(ms(streams.direct.ttfbP50), ms(streams.router.ttfbP50), ms(streams.addedTtfbP50), streams.trials.map((t) => ms(t.addedP99)).join(' '));
    streamRows[1][0] = `${STREAM_CONNECTIONS} (closed)`;
    streamRows[2][0] = `${STREAM_CONNECTIONS} (${streamRate}/s)`;
    console.log(table(streamRows));
    console.log(
      `floor: a bare Node proxy (bench/router/bare-proxy.js) at the same rate adds p50 ${ms(bareFloor.addedP50)}, p99 ${ms(bareFloor.addedP99)}, ttfb p50 ${ms(bareFloor.addedTtfbP50)} ms ` +
        `(added p99 per trial: ${bareFloor.trials.map((t) => ms(t.addedP99)).join(' ')}); the router adds ${ms(streams.addedP50 - bareFloor.addedP50)} ms at p50 above it\n` +
        `CPU per stream (user + system, all threads, from /proc; the steadier figure on a shared machine): router ${ms(streams.router.cpuMsPerRequest)} ms, bare proxy ${ms(bareFloor.cpuMsPerRequest)} ms`,
    );
    console.log(`(CPU time stolen by the hypervisor during the fixed-rate runs: ${Number.isFinite(steal) ? `${steal.toFixed(0)} ms` : 'n/a'})`);
    console.log('(latencies in ms, measured by the client; CPU per request in ms of the router process, warm-up requests included in the count and the time)\n');
    console.log(`router's own time per request (x-ai-stack-overhead-ms, ${overhead.count} requests): p50 ${ms(overhead.p50)} ms, p99 ${ms(overhead.p99)} ms\n`);
    console.log(
      table([
        ['bundle', 'size', 'gzip', 'node start', 'require', 'first request', 'cold start total'],
        ...cold.map((c) => [`${c.cloud}/index.js`, kib(c.bytes), kib(c.gzip), `${ms(c.bootMs)} ms`, `${ms(c.requireMs)} ms`, `${ms(c.firstRequestMs)} ms`, `${ms(c.totalMs)} ms`]),
      ]),
    );
    console.log('(cold start total = node start + require + first chat request through the handler, in a fresh process)\n');
    for (const [what, value, ok] of checks) console.log(`${ok ? 'meets' : 'MISSES'}  ${what}: ${value}`);
    if (opts.json) console.log(JSON.stringify({ saturated, steady, streamSaturated, streams, bareFloor, stealMs: steal, overhead, cold, checks: checks.map(([what, value, ok]) => ({ what, value, ok })) }));
  } finally {
    for (const c of children) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench/router: ${err.message}`);
  process.exit(1);
});
