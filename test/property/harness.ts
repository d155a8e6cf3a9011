// The checks of the property test `check-equals-synth.test.ts`, shared with `reproduce.ts`:
// what a refused design's error must look like, and synthesizing an accepted design on one cloud.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectProblems, DesignError, estimateMonthlyCost, validateDesign, type AiStackDesign, type Cloud, type DesignProblem } from '../../lib/design';
import { unresolvedReferences, type TerraformJson } from '../support/terraform-references';

/** CloudFormation's limit of resources in one stack. */
export const CFN_RESOURCE_LIMIT = 500;

/** A message may quote at most this much of a value the user gave (lib/design/quote.ts cuts at 200). */
export const MAX_ECHO = 256;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export type Verdict =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly problems: readonly DesignProblem[] }
  | { readonly accepted: 'threw'; readonly error: string };

/** `collectProblems` for one cloud, with its own exceptions caught (a crash is itself a finding). */
export function verdict(design: Json, cloud: Cloud): Verdict {
  try {
    const found = collectProblems(design as AiStackDesign, { clouds: [cloud] }) as unknown as { all?: readonly DesignProblem[] } | readonly DesignProblem[];
    const problems = Array.isArray(found) ? (found as readonly DesignProblem[]) : ((found as { all: readonly DesignProblem[] }).all ?? []);
    return problems.length === 0 ? { accepted: true } : { accepted: false, problems };
  } catch (err) {
    return { accepted: 'threw', error: errorText(err) };
  }
}

/**
 * The value at a problem path such as `endpoints[1].capacity.max` or `tags.extra["a.b"]`
 * (`found: false` when the path names nothing in the design).
 */
export function valueAt(design: Json, path: string): { found: boolean; value?: Json } {
  let cur: Json = design;
  const re = /\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|([^.[\]]+)/g;
  for (const m of path.matchAll(re)) {
    const key = m[1] !== undefined ? Number(m[1]) : m[2] !== undefined ? (JSON.parse(m[2]) as string) : m[3];
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return { found: false };
    cur = cur[key];
  }
  return { found: true, value: cur };
}

/**
 * True when a path has a quoted segment such as `endpoints[0]["scaling.offPeak.min"]` whose key,
 * dots and all, is not a key of the design at that place: the rule joined a nested path as one key,
 * so the path names nothing (and a file's line cannot be found for it).
 */
export function quotesNestedPath(design: Json, path: string): boolean {
  let cur: Json = design;
  const re = /\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|([^.[\]]+)/g;
  for (const m of path.matchAll(re)) {
    const key = m[1] !== undefined ? Number(m[1]) : m[2] !== undefined ? (JSON.parse(m[2]) as string) : m[3];
    const present = cur !== null && typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, key);
    if (m[2] !== undefined && typeof key === 'string' && key.includes('.') && !present && cur !== null && typeof cur === 'object') return true;
    if (!present) return false;
    cur = cur[key];
  }
  return false;
}

function holdsNull(v: Json): boolean {
  if (v === null) return true;
  if (typeof v !== 'object') return false;
  return Object.values(v).some(holdsNull);
}

/** Every string of the design, keys included. */
function strings(design: Json): string[] {
  const out: string[] = [];
  const walk = (v: Json) => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        out.push(k);
        walk(v[k]);
      }
    }
  };
  walk(design);
  return out;
}

/** `message` without its quoted parts when the design itself holds a string containing `word`. */
function unquotedUnlessGiven(message: string, word: string, given: readonly string[]): string {
  const re = new RegExp(`\\b${word}\\b`);
  return given.some((s) => re.test(s)) ? message.replace(/'[^']*'/g, "''") : message;
}

/**
 * What is wrong with how a refused design is refused: `validateDesign` must throw exactly one
 * `DesignError` carrying the same problems, each with a non-empty path (none joining a nested path
 * as one quoted key) and a message on one line that prints no `undefined`, `[object Object]`, `null`
 * for a value that is not null, and no long value in full.
 */
export function refusalViolations(design: Json, cloud: Cloud, problems: readonly DesignProblem[]): Violation[] {
  const out: Violation[] = [];
  let thrown: unknown;
  let threw = false;
  try {
    validateDesign(design as AiStackDesign, { clouds: [cloud] });
  } catch (err) {
    thrown = err;
    threw = true;
  }
  if (!threw) out.push({ rule: 'validateDesign did not throw', detail: `collectProblems found ${problems.length} problem(s)` });
  else if (!(thrown instanceof DesignError)) out.push({ rule: 'validateDesign threw something other than a DesignError', detail: errorText(thrown) });
  else {
    const listed = (list: readonly DesignProblem[]) => JSON.stringify(list.map((p) => [p.path, p.message]));
    if (listed(thrown.problems) !== listed(problems)) out.push({ rule: 'DesignError and collectProblems list different problems', detail: `${thrown.problems.length} vs ${problems.length} problem(s)` });
  }
  const all = strings(design);
  const long = all.filter((x) => x.length > MAX_ECHO);
  for (const p of problems) {
    const detail = `${p.path}: ${typeof p.message === 'string' ? p.message : String(p.message)}`;
    const add = (rule: string) => out.push({ rule, detail, path: p.path, message: p.message });
    if (typeof p.path !== 'string' || p.path.trim() === '') add('empty path');
    else if (quotesNestedPath(design, p.path)) add('path quotes a nested path as one key');
    if (typeof p.message !== 'string' || p.message.trim() === '') add('empty message');
    if (typeof p.message !== 'string') continue;
    // A value the user wrote ('undefined', 'null') may be quoted back; the words elsewhere may not.
    if (/\bundefined\b/.test(unquotedUnlessGiven(p.message, 'undefined', all))) add("message prints 'undefined'");
    if (p.message.includes('[object Object]')) add("message prints '[object Object]'");
    // A DesignError lists one problem a line (with file:line from a file): a value's line break must be escaped.
    if (/[\r\n\u2028\u2029]/.test(p.message)) add('message holds a raw line break');
    if (/\bnull\b/.test(unquotedUnlessGiven(p.message, 'null', all))) {
      // The path names the value; a path that cannot be followed (e.g. a long key shortened in it)
      // is given the benefit of the doubt when the design holds a null somewhere.
      const at = valueAt(design, p.path);
      if (at.found ? at.value !== null : !holdsNull(design)) add(`message prints 'null' for ${at.found ? describeValue(at.value) : 'a design without null'}`);
    }
    for (const s of long) {
      if (p.message.includes(s.slice(0, MAX_ECHO + 1)) || p.message.includes(s.slice(-(MAX_ECHO + 1)))) {
        add(`message echoes a value of more than ${MAX_ECHO} characters in full`);
        break;
      }
    }
  }
  return out;
}

/**
 * What is wrong with an accepted design before synthesis: `validateDesign` must accept it too, and
 * the cost estimate that `ai-stack synth` prints must compute, with finite, non-negative figures.
 */
export function acceptanceViolations(design: Json, cloud: Cloud): Violation[] {
  const out: Violation[] = [];
  let estimate: ReturnType<typeof estimateMonthlyCost>;
  try {
    // estimateMonthlyCost starts with validateDesign: one call checks both.
    estimate = estimateMonthlyCost(design as AiStackDesign, { clouds: [cloud] });
  } catch (err) {
    const rule = err instanceof DesignError ? 'validateDesign refused a design collectProblems accepted' : 'estimateMonthlyCost threw on an accepted design';
    out.push({ rule, detail: errorText(err), message: errorText(err) });
    return out;
  }
  for (const c of estimate.clouds) {
    const figures: [string, number][] = [
      ['totalMonthlyUsd', c.totalMonthlyUsd],
      ['allOnDemandMonthlyUsd', c.allOnDemandMonthlyUsd],
      ...c.lines.map((l): [string, number] => [`line '${l.item}'`, l.monthlyUsd]),
    ];
    for (const [what, n] of figures) {
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) out.push({ rule: 'estimate has a figure that is not a finite amount >= 0', detail: `${what} = ${n}`, message: what });
    }
  }
  return out;
}

/** A broken rule of refusals: which rule, and the problem (path: message) that broke it. */
export interface Violation {
  readonly rule: string;
  readonly detail: string;
  readonly path?: string;
  readonly message?: string;
}

/** What kind of value: NaN, Infinity, a number, a string, a list, a map. */
function describeValue(v: Json): string {
  if (typeof v === 'number') return Number.isFinite(v) ? 'a number' : String(v);
  if (Array.isArray(v)) return 'a list';
  if (v === undefined) return 'a missing value';
  return typeof v === 'object' ? 'a map' : `a ${typeof v}`;
}

export interface SynthOutcome {
  readonly ok: boolean;
  /** The synth error, or the rule broken by the output. */
  readonly error?: string;
  readonly resources?: number;
  /** Wall-clock and CPU (user + system) time of the synth. */
  readonly ms: number;
  readonly cpuMs: number;
}

/** CPU time of this process so far, in ms: unlike wall-clock time, not inflated by a loaded machine. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

let scratch: string | undefined;
/** One temp directory for all synth output of this process; removed by `cleanupSynth`. */
function scratchDir(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'ai-stack-property-'));
  return scratch;
}

export function cleanupSynth(): void {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
}

let counter = 0;

/** Builds and synthesizes the design's `AiStack` on `cloud`, as the CLI does; never throws. */
export function synthesize(design: Json, cloud: Cloud): SynthOutcome {
  const start = Date.now();
  const cpu = cpuMs();
  try {
    const resources = cloud === 'aws' ? synthAws(design) : synthTerraform(design, cloud);
    return { ok: true, resources, ms: Date.now() - start, cpuMs: cpuMs() - cpu };
  } catch (err) {
    return { ok: false, error: errorText(err), ms: Date.now() - start, cpuMs: cpuMs() - cpu };
  }
}

function synthAws(design: Json): number {
  // Loaded on first use: a validation-only run (or one cloud) does not pay for the others.
  const { App } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { AiStack } = require('../../lib/aws/ai-stack') as typeof import('../../lib/aws/ai-stack');
  const { STRICT_CONTEXT } = require('../../lib/synth/aws') as typeof import('../../lib/synth/aws');
  const outdir = join(scratchDir(), `aws-${counter++}`);
  // As lib/synth/aws.ts (without its cdk-nag pass, which test/examples runs): CDK's template
  // validation in strict mode fails the synth; no stack traces (they cost time, not findings).
  const app = new App({ outdir, analyticsReporting: false, stackTraces: false, context: { ...STRICT_CONTEXT } });
  try {
    const stack = new AiStack(app, design.name, { design });
    let assembly: ReturnType<typeof app.synth>;
    try {
      assembly = app.synth();
    } catch (err) {
      const findings = validationReport(outdir);
      throw findings.length > 0 ? new Error(`template validation failed: ${findings.join('; ')}`) : err;
    }
    const errors = assembly.stacks.flatMap((s) => s.messages.filter((m) => m.level === 'error').map((m) => `${m.id}: ${String(m.entry.data)}`));
    if (errors.length > 0) throw new Error(`synth errors: ${errors.join('; ')}`);
    const template = assembly.getStackByName(stack.stackName).template as { Resources?: Record<string, unknown> };
    const count = Object.keys(template.Resources ?? {}).length;
    if (count === 0) throw new Error('the template has no resources (CloudFormation refuses an empty Resources section)');
    if (count > CFN_RESOURCE_LIMIT) throw new Error(`${count} resources in one stack, above CloudFormation's limit of ${CFN_RESOURCE_LIMIT}`);
    return count;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function validationReport(outdir: string): string[] {
  try {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: { ruleName: string; description: string; violatingConstructs: { constructPath: string }[] }[] }[];
    };
    return report.pluginReports.flatMap((p) => p.violations.map((v) => `[${p.pluginName}] ${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}: ${v.description}`));
  } catch {
    return [];
  }
}

function synthTerraform(design: Json, cloud: 'gcp' | 'azure'): number {
  const { Testing } = require('cdktf') as typeof import('cdktf');
  const { AiStack } = (cloud === 'gcp' ? require('../../lib/gcp/ai-stack') : require('../../lib/azure/ai-stack')) as typeof import('../../lib/gcp/ai-stack');
  const app = Testing.app({ outdir: scratchDir() });
  const stack = new AiStack(app, design.name, { design });
  // Aspects (cost labels and tags) and cdktf's validations, as `app.synth()` runs them.
  const json = JSON.parse(Testing.synth(stack, true)) as TerraformJson;
  const errors = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/error').map((m) => `${c.node.path}: ${String(m.data)}`));
  if (errors.length > 0) throw new Error(`synth errors: ${errors.join('; ')}`);
  const unresolved = unresolvedReferences(json);
  // Each finding quoted, so failures of one cause form one class whatever path they are at. (The
  // checker also reports `%{` template directives, which a design value must not bring either.)
  if (unresolved.length > 0) throw new Error(`Terraform references to undeclared objects: ${unresolved.slice(0, 5).map((u) => JSON.stringify(u)).join('; ')}`);
  let count = 0;
  for (const byName of Object.values(json.resource ?? {})) count += Object.keys(byName).length;
  return count;
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return `non-Error thrown: ${String(err)}`;
}

export function clip(text: string, limit = 300): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}…(${text.length} chars)`;
}

/**
 * A failure's class: its error text with the design-specific parts (numbers, quoted values, indexes,
 * construct paths) replaced, so failures of one cause count together.
 */
export function failureClass(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 2)
    .join(' | ')
    .replace(/'[^']*'/g, "'…'")
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\[\d+\]/g, '[N]')
    .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, 'N')
    .replace(/\s+/g, ' ')
    .slice(0, 200);
}
