import { loadDesign } from '../design/load';
import { routerConfigFromDesign, type TargetOverrides } from '../router/config';
import { RouterEngine } from '../router/engine/engine';
import { readTenantKeysFile } from '../router/engine/keys';
import { createPipeline } from '../router/handlers/pipeline';
import { listen } from '../router/handlers/node-http';
import type { AiStackDesign } from '../design/design';
import { createAdapter } from '../router/providers';
import type { PackageResolver } from '../router/providers/dependencies';
import type { AdapterFactory } from '../router/providers/types';
import { SIMULATED_TARGET_OVERRIDES, simulatedAdapterFactory } from '../router/simulate/adapter';
import type { RequestLogger } from '../router/log';
import type { GuardAdapter } from '../router/guard/types';
import type { Ledger } from '../router/stores/ledger';

export const SERVE_USAGE = `usage: ai-stack serve [design.yaml] [--port N] [--host H] [--keys FILE] [--upstream-base-url TARGET=URL]...
                     [--simulate [--sim-latency-ms N] [--sim-tokens-per-second N] [--sim-error-rate [TARGET=]F]...
                                 [--sim-stream-error-rate F] [--sim-seed N]]
                     [--max-connections N] [--max-in-flight N] [--max-in-flight-per-tenant N] [--max-body-bytes N]
                     [--headers-timeout-ms N] [--request-timeout-ms N] [--keep-alive-timeout-ms N]

Runs the design's model router locally: an OpenAI-compatible API on http://HOST:PORT/v1.

  design.yaml                       the design (default examples/ai-stack.yaml)
  --port N                          port to listen on (default 8080; 0 picks a free port)
  --host H                          address to bind (default 127.0.0.1)
  --keys FILE                       JSON { "<tenantId>": "<key>" } of tenant API keys
                                    (default: AI_STACK_KEYS_JSON from the environment)
  --upstream-base-url TARGET=URL    call router target TARGET at URL instead of its provider
                                    (repeatable; e.g. a local fake or a GPU endpoint's URL)

Simulated providers (no cloud account needed; every target without --upstream-base-url is simulated
in-process and bills the tokens it generates):
  --simulate                        simulate the design's targets
  --sim-latency-ms N                time to the first token (default 150)
  --sim-tokens-per-second N         stream speed (default 80; 0: as fast as possible)
  --sim-error-rate [TARGET=]F       fraction 0-1 of calls answered HTTP 503, for every target or one
                                    (repeatable; default 0; e.g. haiku=1 to watch fallbacks)
  --sim-stream-error-rate F         fraction 0-1 of streams that break mid-way (default 0)
  --sim-seed N                      seed of the fault draws (default 1)

Limits (each answered with a clear error; see docs/router.md):
  --max-connections N               open connections (default 1024; more get 503)
  --max-in-flight N                 chat requests in flight (default 1000; more get 503)
  --max-in-flight-per-tenant N      chat requests in flight per tenant (default 100; more get 429)
  --max-body-bytes N                request body size (default 4194304; larger get 413)
  --headers-timeout-ms N            time to send the request headers (default 10000)
  --request-timeout-ms N            time to send the whole request (default 30000)
  --keep-alive-timeout-ms N         idle time of a keep-alive connection (default 5000)

Requests are logged to stdout, one JSON line each; messages go to stderr.`;

export interface ServeOptions {
  /** Stops the server (tests); SIGINT and SIGTERM also stop it. */
  readonly signal?: AbortSignal;
  /** Called with the server URL once it listens. */
  readonly onListening?: (url: string) => void;
  /** Where messages go. @default stderr */
  readonly message?: (line: string) => void;
  /** @default the real provider adapters (or the simulated ones with --simulate) */
  readonly adapterFactory?: AdapterFactory;
  /** Where request records go. @default one JSON line each on stdout */
  readonly logger?: RequestLogger;
  /** Finds the adapters' optional packages (tests inject one). @default Node's module resolution */
  readonly resolvePackage?: PackageResolver;
  /**
   * The cloud guard the design's guardrails call after the router's local filter.
   * @default - none: `serve` runs the local filter (blocked words, PII masks) only
   */
  readonly guardAdapter?: GuardAdapter;
  /** @default - a `MemoryLedger` */
  readonly ledger?: Ledger;
}

interface ServeArgs {
  design: string;
  port: number;
  host: string;
  keys?: string;
  upstreams: Record<string, TargetOverrides>;
  simulate: boolean;
  sim: { latencyMs?: number; tokensPerSecond?: number; errorRate?: number; streamErrorRate?: number; seed?: number; targetErrorRates: Record<string, number> };
  pipeline: { maxInFlight?: number; maxInFlightPerTenant?: number; maxBodyBytes?: number };
  server: { maxConnections?: number; headersTimeoutMs?: number; requestTimeoutMs?: number; keepAliveTimeoutMs?: number };
}

class UsageError extends Error {}

/** Flags taking a whole number >= 1, and where each goes. */
const COUNT_FLAGS: Readonly<Record<string, (a: ServeArgs, n: number) => void>> = {
  '--max-connections': (a, n) => (a.server.maxConnections = n),
  '--max-in-flight': (a, n) => (a.pipeline.maxInFlight = n),
  '--max-in-flight-per-tenant': (a, n) => (a.pipeline.maxInFlightPerTenant = n),
  '--max-body-bytes': (a, n) => (a.pipeline.maxBodyBytes = n),
  '--headers-timeout-ms': (a, n) => (a.server.headersTimeoutMs = n),
  '--request-timeout-ms': (a, n) => (a.server.requestTimeoutMs = n),
  '--keep-alive-timeout-ms': (a, n) => (a.server.keepAliveTimeoutMs = n),
};

function wholeNumber(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be a whole number >= ${min} (got '${v.slice(0, 50)}')`);
  return n;
}

function fraction(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${flag} must be a number from 0 to 1 (got '${v.slice(0, 50)}')`);
  return n;
}

function parseArgs(argv: readonly string[]): ServeArgs {
  const args: ServeArgs = { design: 'examples/ai-stack.yaml', port: 8080, host: '127.0.0.1', upstreams: {}, simulate: false, sim: { targetErrorRates: {} }, pipeline: {}, server: {} };
  let design: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // `--flag=value` and `--flag value` are both accepted (the value itself may contain '=').
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--port') {
      const v = value();
      const port = Number(v);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535 (got '${v}')`);
      args.port = port;
    } else if (flag === '--host') {
      args.host = value();
    } else if (flag === '--keys') {
      args.keys = value();
    } else if (flag === '--upstream-base-url') {
      const v = value();
      const eq = v.indexOf('=');
      if (eq <= 0 || eq === v.length - 1) throw new UsageError(`--upstream-base-url takes TARGET=URL (got '${v}')`);
      args.upstreams[v.slice(0, eq)] = { baseUrl: v.slice(eq + 1) };
    } else if (flag === '--simulate') {
      if (inline !== undefined) throw new UsageError('--simulate takes no value');
      args.simulate = true;
    } else if (flag === '--sim-latency-ms') {
      args.sim.latencyMs = wholeNumber(flag, value(), 0);
    } else if (flag === '--sim-tokens-per-second') {
      args.sim.tokensPerSecond = wholeNumber(flag, value(), 0);
    } else if (flag === '--sim-seed') {
      args.sim.seed = wholeNumber(flag, value(), 0);
    } else if (flag === '--sim-stream-error-rate') {
      args.sim.streamErrorRate = fraction(flag, value());
    } else if (flag === '--sim-error-rate') {
      const v = value();
      const eq = v.indexOf('=');
      if (eq > 0) args.sim.targetErrorRates[v.slice(0, eq)] = fraction(flag, v.slice(eq + 1));
      else args.sim.errorRate = fraction(flag, v);
    } else if (COUNT_FLAGS[flag]) {
      COUNT_FLAGS[flag](args, wholeNumber(flag, value(), 1));
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else if (design === undefined) {
      design = arg;
    } else {
      throw new UsageError(`one design file only (got '${design}' and '${arg}')`);
    }
  }
  if (!args.simulate && argv.some((a) => a.startsWith('--sim-'))) throw new UsageError('the --sim-* options need --simulate');
  if (design !== undefined) args.design = design;
  return args;
}

/** Resolves when SIGINT/SIGTERM arrives or `signal` aborts. */
function untilStopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    if (signal?.aborted) return stop();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Target overrides for --simulate: every target gets what `routerConfigFromDesign` needs to
 * configure it without a cloud account (a placeholder URL or project); targets given with
 * --upstream-base-url keep their URL and are called for real.
 */
function simulatedOverrides(design: AiStackDesign, args: ServeArgs): Record<string, TargetOverrides> {
  const out: Record<string, TargetOverrides> = {};
  for (const m of design.router?.models ?? []) out[m.id] = args.upstreams[m.id] ?? SIMULATED_TARGET_OVERRIDES[m.provider];
  for (const [id, over] of Object.entries(args.upstreams)) out[id] ??= over; // unknown ids are reported by the config
  return out;
}

/**
 * `ai-stack serve`: loads the design, builds the router config (keys from --keys or
 * AI_STACK_KEYS_JSON), and serves it until interrupted. Returns the exit code: 0 after a clean stop,
 * 1 when the design or config is invalid or the port is taken, 2 for a usage error.
 */
export async function runServe(argv: readonly string[], options: ServeOptions = {}): Promise<number> {
  const say = options.message ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (argv.includes('--help') || argv.includes('-h')) {
    say(SERVE_USAGE);
    return 0;
  }
  let args: ServeArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    say(`ai-stack serve: ${err.message}\n\n${SERVE_USAGE}`);
    return 2;
  }
  let engine: RouterEngine;
  try {
    const design = loadDesign(args.design);
    const targets = args.simulate ? simulatedOverrides(design, args) : args.upstreams;
    const config = routerConfigFromDesign(design, { ...(args.keys ? { keys: readTenantKeysFile(args.keys) } : {}), targets });
    for (const id of Object.keys(args.sim.targetErrorRates)) {
      if (!config.targets.some((t) => t.id === id)) throw new Error(`--sim-error-rate ${id}=…: no such target (targets: ${config.targets.map((t) => t.id).join(', ')})`);
    }
    const real = options.adapterFactory;
    const adapterFactory = args.simulate
      ? simulatedAdapterFactory({ ...args.sim }, { factory: real ?? createAdapter, targets: new Set(Object.keys(args.upstreams)) })
      : real;
    engine = new RouterEngine(config, {
      ...(adapterFactory ? { adapterFactory } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.resolvePackage ? { resolvePackage: options.resolvePackage } : {}),
      ...(options.guardAdapter ? { guardAdapter: options.guardAdapter } : {}),
      ...(options.ledger ? { ledger: options.ledger } : {}),
    });
    for (const t of config.tenants) if (t.keySha256.length === 0) say(`warning: tenant '${t.id}' has no API key, so nobody can call as it; pass --keys FILE or set AI_STACK_KEYS_JSON`);
  } catch (err) {
    say(`ai-stack serve: ${(err as Error).message}`);
    return 1;
  }
  let server;
  try {
    const pipeline = createPipeline(engine, {
      ...(args.pipeline.maxInFlight ? { maxInFlight: args.pipeline.maxInFlight } : {}),
      ...(args.pipeline.maxInFlightPerTenant ? { maxInFlightPerTenant: args.pipeline.maxInFlightPerTenant } : {}),
      ...(args.pipeline.maxBodyBytes ? { limits: { maxBodyBytes: args.pipeline.maxBodyBytes } } : {}),
    });
    server = await listen(pipeline, { port: args.port, host: args.host, ...args.server });
  } catch (err) {
    say(`ai-stack serve: cannot listen on ${args.host}:${args.port}: ${(err as Error).message}`);
    return 1;
  }
  if (args.simulate) {
    const simulated = engine.config.targets.filter((t) => !args.upstreams[t.id]).map((t) => t.id);
    say(`simulating targets ${simulated.join(', ')} in-process (no provider is called; tokens are counted by the simulator and charged as usual)`);
  }
  say(`ai-stack router listening on ${server.url}/v1 (routes: ${engine.config.routes.map((r) => r.name).join(', ')}; tenants: ${engine.config.tenants.map((t) => t.id).join(', ') || 'none'})`);
  options.onListening?.(server.url);
  await untilStopped(options.signal);
  await server.close();
  return 0;
}
