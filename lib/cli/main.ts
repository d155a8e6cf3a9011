#!/usr/bin/env node
import { CLOUDS, DesignError, estimateMonthlyCost, isCloud, loadDesign, type Cloud } from '../design';
import { parseArgs, UsageError } from './args';
import { formatEstimate } from './format';

const DEFAULT_DESIGN = 'examples/ai-stack.yaml';

const USAGE = `usage: ai-stack <command> [design] [options]

commands:
  synth [design] [--cloud aws|gcp|azure|all] [--out DIR]   synthesize (default: ${DEFAULT_DESIGN}, all, synth.out)
  check [design] [--cloud ...]                            validate only; exit 0 when valid, 1 when not
  estimate [design] [--cloud ...] [--json]                monthly cost by component
  serve [design] [--port N] [--keys FILE] ...              run the router locally (serve --help)`;

function cloudsOf(option: string | true | undefined): Cloud[] | undefined {
  if (option === undefined || option === 'all') return undefined;
  const clouds = String(option).split(',');
  for (const c of clouds) if (!isCloud(c)) throw new UsageError(`--cloud must be aws, gcp, azure or all (got '${c}')`);
  return clouds as Cloud[];
}

/** Runs the CLI; returns the exit code. Output goes to the given writers so tests can capture it. */
export async function main(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n'), err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'synth': {
        const { positional, options } = parseArgs(rest, ['cloud', 'out'], []);
        const requested = cloudsOf(options.cloud);
        const designPath = positional[0] ?? DEFAULT_DESIGN;
        const clouds = requested ?? [...CLOUDS];
        const design = loadDesign(designPath, { clouds });
        const { synthDesign } = require('./synth-command') as typeof import('./synth-command');
        const outcome = synthDesign(design, clouds, String(options.out ?? 'synth.out'));
        out(outcome.report);
        return 0;
      }
      case 'check': {
        const { positional, options } = parseArgs(rest, ['cloud'], []);
        const designPath = positional[0] ?? DEFAULT_DESIGN;
        const design = loadDesign(designPath, { clouds: cloudsOf(options.cloud) });
        out(`${designPath}: design '${design.name}' is valid`);
        return 0;
      }
      case 'estimate': {
        const { positional, options } = parseArgs(rest, ['cloud'], ['json']);
        const clouds = cloudsOf(options.cloud);
        const design = loadDesign(positional[0] ?? DEFAULT_DESIGN, { clouds });
        const estimate = estimateMonthlyCost(design, { clouds });
        out(options.json ? JSON.stringify(estimate, null, 2) : formatEstimate(estimate));
        return 0;
      }
      case 'serve': {
        const { runServe } = require('./serve') as { runServe(argv: string[]): Promise<number> };
        return await runServe(rest);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof DesignError) {
      err(e.message);
      return 1;
    }
    if (e instanceof UsageError) {
      err(`ai-stack: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    err(`ai-stack: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
