import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CLOUDS, isCloud, type Cloud } from '../design';
import { packageRoot } from '../common/peers';

/** Parsed command line: positional arguments and `--flag value` / `--flag` options. */
export interface ParsedArgs {
  readonly positional: string[];
  readonly options: Record<string, string | true>;
}

export class UsageError extends Error {}

/** Parses `argv`; `flags` lists the options that take no value. Unknown options are a usage error. */
export function parseArgs(argv: readonly string[], valued: readonly string[], flags: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2);
    if (flags.includes(name)) {
      options[name] = true;
    } else if (valued.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      options[name] = value;
    } else {
      throw new UsageError(`unknown option --${name}; options: ${[...valued, ...flags].map((o) => `--${o}`).join(', ') || 'none'}`);
    }
  }
  return { positional, options };
}

/** `--cloud a,b` as clouds, `all` as every cloud; no option leaves the choice to the design (undefined). */
export function cloudsOf(option: string | true | undefined): Cloud[] | undefined {
  if (option === undefined) return undefined;
  if (option === 'all') return [...CLOUDS];
  const clouds = String(option).split(',');
  for (const c of clouds) if (!isCloud(c)) throw new UsageError(`--cloud must be aws, gcp, azure or all (got '${c}')`);
  return clouds as Cloud[];
}

/** The design file used when none is given: `ai-stack.yaml` in the working directory. */
export const DEFAULT_DESIGN = 'ai-stack.yaml';

/** Where the example design this package ships is, as the user would type it from the working directory. */
export function shippedExample(): string {
  const file = join(packageRoot(), 'examples', 'ai-stack.yaml');
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** The design files given, or `./ai-stack.yaml` when there is one; otherwise a usage error saying how to pass one. */
export function designPaths(command: string, positional: readonly string[]): string[] {
  if (positional.length > 0) return [...positional];
  if (existsSync(DEFAULT_DESIGN)) return [DEFAULT_DESIGN];
  throw new UsageError(
    `no design file given and there is no ./${DEFAULT_DESIGN} here; pass one (ai-stack ${command} path/to/design.yaml) or start from the shipped example: cp ${shippedExample()} ./${DEFAULT_DESIGN}`,
  );
}

/** The one design file of a command that takes one (`synth`, `estimate`); more is a usage error. */
export function onlyDesign(command: string, positional: readonly string[]): string {
  if (positional.length > 1) {
    throw new UsageError(`${command} takes one design file, got ${positional.length} (${positional.join(', ')}); run ${command} once per design`);
  }
  return designPaths(command, positional)[0];
}
