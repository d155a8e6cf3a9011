// A seeded mutation test of the messages: every value of a valid design replaced, in turn, by values
// a fuzzer finds (wrong types, non-finite and huge numbers, long and control-character strings,
// prototype-named keys). No rule may throw, every problem has a path, and no message prints
// `undefined`, `[object Object]`, `null` for a value that is not null, or a long value in full.
import { collectProblems, pathSegments, type AiStackDesign, type DesignProblem } from '../../lib/design';
import { smallDesign } from '../fixtures/designs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const LONG = 'L'.repeat(5000);
const REPLACEMENTS: readonly unknown[] = [
  undefined,
  null,
  {},
  { model: 'x' },
  [],
  [{}],
  [null],
  'x',
  '',
  LONG,
  'a\nb\u0000c',
  0,
  -1,
  0.5,
  -1e300,
  -1.9e289,
  1e21,
  NaN,
  Infinity,
  -Infinity,
  true,
];
const EXTRA_KEYS = ['constructor', 'toString', '__proto__', '', 'a.b', LONG];
/** The replacements tried at every path; the random pass below draws from all of them. */
const EXHAUSTIVE: readonly unknown[] = [undefined, null, { model: 'x' }, [null], LONG, 'a\nb\u0000c', -1e300, NaN, Infinity, 0.5];

/** A valid design with every section, so every rule runs. */
function base(): Json {
  const d = smallDesign();
  d.vectorStore = { name: 'docs', chunking: { maxTokens: 300, overlapPercent: 20 }, embeddingModels: { aws: 'titan-embed-text-v2' }, expectedSourceGiB: 1 };
  d.guardrails = { deniedTopics: [{ name: 'advice', definition: 'Investment advice.', examples: ['buy?'] }], blockedWords: ['x'], pii: { action: 'mask', entities: ['EMAIL'] }, blockedMessage: 'no' };
  d.accounts = { aws: '123456789012', gcp: 'my-project-1', azure: '00000000-0000-0000-0000-000000000000' };
  d.prices = { instances: { 'g6.xlarge': { onDemandHourlyUsd: 1 } }, models: { 'gpt-4o-mini': { inputPer1kUsd: 0.1 } } };
  d.tags.extra = { owner: 'me' };
  d.endpoints.push({ ...d.endpoints[0], name: 'llm-2', capacity: { min: 1, max: 2, expectedAverage: 1 }, server: { ...d.endpoints[0].server, port: 8080, healthPath: '/ready', env: { A: 'b' } } });
  d.router.routes.push({ name: 'tiers', strategy: 'tiered', targets: [], tiers: [{ name: 's', maxPromptTokens: 100, targets: [{ model: 'haiku' }] }, { name: 'l', targets: [{ model: 'flash' }] }], timeoutMs: 1000, deadlineMs: 2000, retries: 1 });
  d.router.tenants[0] = { ...d.router.tenants[0], requestsPerMinute: 10, tokensPerMinute: 100, routes: ['chat'] };
  d.router.circuitBreaker = { failureThreshold: 5, windowSeconds: 30, cooldownSeconds: 30 };
  d.router.traffic = [{ route: 'chat', requestsPerDay: 10, avgInputTokens: 10, avgOutputTokens: 10 }];
  d.budget.thresholds = [{ percent: 50 }];
  d.budget.hardStop = { atPercent: 100 };
  return d;
}

/** Every path of the design (maps and lists included), as segments. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push([...prefix, i], ...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') for (const k of Object.keys(value)) out.push([...prefix, k], ...paths(value[k], [...prefix, k]));
  return out;
}

function setAt(design: Json, at: (string | number)[], value: unknown): void {
  let cur = design;
  for (const s of at.slice(0, -1)) cur = cur[s];
  const last = at[at.length - 1];
  if (value === undefined && !Array.isArray(cur)) delete cur[last];
  else Object.defineProperty(cur, last, { value, enumerable: true, writable: true, configurable: true });
}

/** The value at a problem's path (undefined when the path does not lead to one). */
function valueAt(design: Json, path: string): { found: boolean; value?: unknown } {
  let cur = design;
  for (const s of pathSegments(path)) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, s)) return { found: false };
    cur = cur[s];
  }
  return { found: true, value: cur };
}

/** A small seeded generator (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function badMessages(design: Json, found: readonly DesignProblem[]): string[] {
  const bad: string[] = [];
  for (const p of found) {
    const where = `${p.path}: ${p.message}`;
    if (!p.path) bad.push(`empty path: ${where}`);
    if (/\bundefined\b/.test(where)) bad.push(`undefined: ${where}`);
    if (where.includes('[object Object]')) bad.push(`[object Object]: ${where}`);
    if (/\bnull\b/.test(p.message) && valueAt(design, p.path).value !== null) bad.push(`null for a value that is not null: ${where}`);
    if (where.includes('L'.repeat(300))) bad.push(`a long value in full: ${where.slice(0, 120)}…`);
    if (/[\n\u0000]/.test(where)) bad.push(`a control character: ${JSON.stringify(where.slice(0, 120))}`);
  }
  return bad;
}

describe('messages of mutated designs', () => {
  const all = paths(base());

  test('the base design is valid', () => {
    expect(collectProblems(base()).all).toEqual([]);
  });

  test('each value replaced by each fuzz value: no crash, readable messages', () => {
    const bad: string[] = [];
    let designs = 0;
    for (const at of all) {
      for (const value of EXHAUSTIVE) {
        const d = base();
        setAt(d, at, value);
        designs++;
        let found: readonly DesignProblem[];
        try {
          found = collectProblems(d as AiStackDesign).all;
        } catch (err) {
          bad.push(`threw at ${at.join('.')} = ${String(value).slice(0, 20)}: ${(err as Error).message}`);
          continue;
        }
        bad.push(...badMessages(d, found).map((m) => `${at.join('.')} = ${String(value).slice(0, 20)} → ${m}`));
      }
    }
    expect(designs).toBeGreaterThan(1000);
    expect(bad.slice(0, 20)).toEqual([]);
  });

  test('seeded random multi-point mutations and extra keys', () => {
    const random = rng(8);
    const bad: string[] = [];
    for (let n = 0; n < 1000; n++) {
      const d = base();
      for (let k = 0; k < 3; k++) {
        const candidates = paths(d);
        if (candidates.length === 0) break;
        const at = candidates[Math.floor(random() * candidates.length)];
        if (random() < 0.2) {
          const parent = at.slice(0, -1);
          let cur = d;
          for (const s of parent) cur = cur?.[s];
          if (cur && typeof cur === 'object' && !Array.isArray(cur)) setAt(d, [...parent, EXTRA_KEYS[Math.floor(random() * EXTRA_KEYS.length)]], 1);
        } else {
          setAt(d, at, REPLACEMENTS[Math.floor(random() * REPLACEMENTS.length)]);
        }
      }
      try {
        bad.push(...badMessages(d, collectProblems(d as AiStackDesign).all));
      } catch (err) {
        bad.push(`threw on design #${n}: ${(err as Error).message}`);
      }
    }
    expect(bad.slice(0, 20)).toEqual([]);
  });
});
