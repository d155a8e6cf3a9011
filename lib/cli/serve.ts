import { loadDesign } from '../design/load';
import { routerConfigFromDesign, type TargetOverrides } from '../router/config';
import { RouterEngine } from '../router/engine/engine';
import { readTenantKeysFile } from '../router/engine/keys';
import { createPipeline } from '../router/handlers/pipeline';
import { listen } from '../router/handlers/node-http';
import type { AdapterFactory } from '../router/providers/types';
import type { RequestLogger } from '../router/log';

export const SERVE_USAGE = `usage: ai-stack serve [design.yaml] [--port N] [--host H] [--keys FILE] [--upstream-base-url TARGET=URL]...

Runs the design's model router locally: an OpenAI-compatible API on http://HOST:PORT/v1.

  design.yaml                       the design (default examples/ai-stack.yaml)
  --port N                          port to listen on (default 8080; 0 picks a free port)
  --host H                          address to bind (default 127.0.0.1)
  --keys FILE                       JSON { "<tenantId>": "<key>" } of tenant API keys
                                    (default: AI_STACK_KEYS_JSON from the environment)
  --upstream-base-url TARGET=URL    call router target TARGET at URL instead of its provider
                                    (repeatable; e.g. a local fake or a GPU endpoint's URL)

Requests are logged to stdout, one JSON line each; messages go to stderr.`;

export interface ServeOptions {
  /** Stops the server (tests); SIGINT and SIGTERM also stop it. */
  readonly signal?: AbortSignal;
  /** Called with the server URL once it listens. */
  readonly onListening?: (url: string) => void;
  /** Where messages go. @default stderr */
  readonly message?: (line: string) => void;
  /** @default the real provider adapters */
  readonly adapterFactory?: AdapterFactory;
  /** Where request records go. @default one JSON line each on stdout */
  readonly logger?: RequestLogger;
}

interface ServeArgs {
  design: string;
  port: number;
  host: string;
  keys?: string;
  upstreams: Record<string, TargetOverrides>;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): ServeArgs {
  const args: ServeArgs = { design: 'examples/ai-stack.yaml', port: 8080, host: '127.0.0.1', upstreams: {} };
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
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else if (design === undefined) {
      design = arg;
    } else {
      throw new UsageError(`one design file only (got '${design}' and '${arg}')`);
    }
  }
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
    const config = routerConfigFromDesign(design, { ...(args.keys ? { keys: readTenantKeysFile(args.keys) } : {}), targets: args.upstreams });
    engine = new RouterEngine(config, { ...(options.adapterFactory ? { adapterFactory: options.adapterFactory } : {}), ...(options.logger ? { logger: options.logger } : {}) });
    for (const t of config.tenants) if (t.keySha256.length === 0) say(`warning: tenant '${t.id}' has no API key, so nobody can call as it; pass --keys FILE or set AI_STACK_KEYS_JSON`);
  } catch (err) {
    say(`ai-stack serve: ${(err as Error).message}`);
    return 1;
  }
  let server;
  try {
    server = await listen(createPipeline(engine), { port: args.port, host: args.host });
  } catch (err) {
    say(`ai-stack serve: cannot listen on ${args.host}:${args.port}: ${(err as Error).message}`);
    return 1;
  }
  say(`ai-stack router listening on ${server.url}/v1 (routes: ${engine.config.routes.map((r) => r.name).join(', ')}; tenants: ${engine.config.tenants.map((t) => t.id).join(', ') || 'none'})`);
  options.onListening?.(server.url);
  await untilStopped(options.signal);
  await server.close();
  return 0;
}
