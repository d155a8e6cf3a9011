#!/usr/bin/env node
import { DesignError, estimateMonthlyCost, loadDesign, targetClouds } from '../design';
import { MissingPeerError, ownManifest } from '../common/peers';
import { cloudsOf, designPaths, onlyDesign, parseArgs, UsageError } from './args';
import { formatEstimate } from './format';
import { relaunchWith, SYNTH_V8_FLAGS } from './relaunch';

interface Command {
  readonly usage: string;
  readonly summary: string;
  readonly details: string;
}

const DESIGN_DEFAULT = 'design: a YAML or JSON design file; default ./ai-stack.yaml';
const CLOUD_OPTION = '--cloud aws|gcp|azure|all   clouds, comma-separated, or all three; default: the design\'s clouds (its `clouds`, else those with a region)';

const COMMANDS: Readonly<Record<string, Command>> = {
  synth: {
    usage: 'ai-stack synth [design] [--cloud ...] [--out DIR] [--strict]',
    summary: 'synthesize each cloud\'s stack, print resources, warnings and the estimate',
    details: [
      DESIGN_DEFAULT,
      CLOUD_OPTION,
      '--out DIR                  output directory (absent, empty or an earlier synth output); default synth.out',
      '--strict                   any warning fails the synth (exit 1, nothing written)',
    ].join('\n'),
  },
  check: {
    usage: 'ai-stack check [design ...] [--cloud ...]',
    summary: 'validate only; exit 0 when every design is valid, 1 when any is not',
    details: [`${DESIGN_DEFAULT}; several files are each checked`, CLOUD_OPTION].join('\n'),
  },
  estimate: {
    usage: 'ai-stack estimate [design] [--cloud ...] [--json]',
    summary: 'monthly cost by component; sections a cloud does not deploy are marked and not in its total',
    details: [DESIGN_DEFAULT, CLOUD_OPTION, '--json                     the estimate as JSON'].join('\n'),
  },
  serve: {
    usage: 'ai-stack serve [design] [--port N] [--keys FILE] ...',
    summary: 'run the router locally (ai-stack serve --help)',
    details: '',
  },
};

const USAGE = `usage: ai-stack <command> [design] [options]

commands:
${Object.entries(COMMANDS)
  .map(([, c]) => `  ${c.usage.replace('ai-stack ', '').padEnd(58)} ${c.summary}`)
  .join('\n')}

ai-stack <command> --help     options of one command
ai-stack --version            the installed version`;

/** Commands whose `--help` this file answers (`serve` answers its own). */
function hasHelp(name: string | undefined): name is string {
  return name !== undefined && name !== 'serve' && Object.prototype.hasOwnProperty.call(COMMANDS, name);
}

function commandHelp(name: string): string {
  const c = COMMANDS[name];
  return `usage: ${c.usage}\n\n${c.summary}\n\n${c.details}`;
}

type Writer = (s: string) => void;

/** Runs the CLI; returns the exit code. Output goes to the given writers so tests can capture it. */
export async function main(argv: readonly string[], out: Writer = (s) => process.stdout.write(s + '\n'), err: Writer = (s) => process.stderr.write(s + '\n')): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (hasHelp(command) && (rest.includes('--help') || rest.includes('-h'))) {
      out(commandHelp(command));
      return 0;
    }
    switch (command) {
      case 'synth': {
        const { positional, options } = parseArgs(rest, ['cloud', 'out'], ['strict']);
        const designPath = onlyDesign('synth', positional);
        const requested = cloudsOf(options.cloud);
        const design = loadDesign(designPath, { clouds: requested });
        const clouds = targetClouds(design, { clouds: requested });
        const { synthDesign } = require('./synth-command') as typeof import('./synth-command');
        const outcome = synthDesign(design, clouds, String(options.out ?? 'synth.out'), { strict: options.strict === true });
        out(outcome.report);
        return 0;
      }
      case 'check':
        return check(rest, out, err);
      case 'estimate': {
        const { positional, options } = parseArgs(rest, ['cloud'], ['json']);
        const designPath = onlyDesign('estimate', positional);
        const clouds = cloudsOf(options.cloud);
        const design = loadDesign(designPath, { clouds });
        const estimate = estimateMonthlyCost(design, { clouds });
        out(options.json ? JSON.stringify(estimate, null, 2) : formatEstimate(estimate));
        return 0;
      }
      case 'serve': {
        const { runServe } = require('./serve') as { runServe(argv: string[]): Promise<number> };
        return await runServe(rest);
      }
      case '--version':
      case '-v':
      case 'version':
        out(ownManifest().version);
        return 0;
      case 'help':
        out(hasHelp(rest[0]) ? commandHelp(rest[0]) : USAGE);
        return 0;
      case undefined:
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
      err(`ai-stack: ${e.message}\n\n${hasHelp(command) ? commandHelp(command) : USAGE}`);
      return 2;
    }
    // Missing peers, unwritable output directories, failed synths: one line (or one list), no stack trace.
    err(`ai-stack: ${e instanceof MissingPeerError ? e.message : (e as Error).message}`);
    return 1;
  }
}

/** `check` validates every design file given (or the default one) and reports each. */
function check(rest: readonly string[], out: Writer, err: Writer): number {
  const { positional, options } = parseArgs(rest, ['cloud'], []);
  const clouds = cloudsOf(options.cloud);
  let invalid = 0;
  for (const designPath of designPaths('check', positional)) {
    try {
      const design = loadDesign(designPath, { clouds });
      out(`${designPath}: design '${design.name}' is valid`);
    } catch (e) {
      if (!(e instanceof DesignError)) throw e;
      err(e.message);
      invalid++;
    }
  }
  return invalid > 0 ? 1 : 0;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const relaunched = argv[0] === 'synth' ? relaunchWith(SYNTH_V8_FLAGS, __filename, argv) : undefined;
  if (relaunched !== undefined) process.exitCode = relaunched;
  else
    main(argv).then((code) => {
      process.exitCode = code;
    });
}
