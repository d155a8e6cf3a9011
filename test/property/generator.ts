// Deterministic generator of mutated designs for the property test `check-equals-synth.test.ts`.
//
// Design `i` of seed `s` depends on (s, i) only: `mutatedDesign(s, i)` rebuilds it without generating
// the others, so a failure at one index is reproduced with `npx tsx test/property/reproduce.ts <i>`.
//
// Each design is one of the base designs (the example YAML, the test fixtures, a minimal endpoint
// design) with 1-3 mutations applied. The first mutation's kind is the design's stratum: the
// property test synthesizes accepted designs round-robin over strata, so every kind is synthesized.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Accelerator } from '../../lib/design';
import { bareDesign, smallDesign } from '../fixtures/designs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Key = string | number;

/** Seed of the property test; change it to explore other designs (the test prints it on failure). */
export const SEED = 0x5eed_2026;

export const EXAMPLE_FILE = join(__dirname, '../../examples/ai-stack.yaml');

/** One endpoint with only its required fields, offered on all three clouds. */
export function minimalEndpoint(name: string): Json {
  return {
    name,
    accelerator: 'nvidia-l4',
    acceleratorOverrides: { azure: 'nvidia-a10g' },
    server: { image: 'vllm/vllm-openai:v0.6.3', model: 'meta-llama/Llama-3.1-8B-Instruct' },
    capacity: { min: 1, max: 2 },
  };
}

let exampleCache: Json | undefined;
function exampleDesign(): Json {
  // Parsed as a user's file is (no validation): `yaml` keeps `.inf`, `.nan` and `__proto__` keys.
  exampleCache ??= parse(readFileSync(EXAMPLE_FILE, 'utf8'));
  return structuredClone(exampleCache);
}

/** The designs mutations start from; each call returns fresh copies. */
export const BASES: readonly { readonly name: string; readonly build: () => Json }[] = [
  { name: 'example', build: exampleDesign },
  { name: 'small', build: smallDesign },
  { name: 'bare', build: bareDesign },
  { name: 'minimal-endpoint', build: () => ({ ...bareDesign(), endpoints: [minimalEndpoint('llm')] }) },
];

/** Bases as drawn for a mutated design: the example, the richest, twice as often as each other. */
const DRAWN_BASES = [BASES[0], ...BASES];

// ---------------------------------------------------------------------------------------------------
// PRNG: sfc32 seeded through splitmix32 from (seed, index), so each index has its own stream.

function splitmix32(a: number): () => number {
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, index: number) {
    const init = splitmix32((seed ^ Math.imul(index + 1, 0x27d4eb2d)) | 0);
    this.a = init();
    this.b = init();
    this.c = init();
    this.d = init();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---------------------------------------------------------------------------------------------------
// Values

export const SPECIAL_NUMBERS: readonly number[] = [
  0, -0, -1, 1, 0.5, 1.5, 2, 3, 4, 7, 8, 9, 10, 16, 50.5, 95, 96, 99, 100, 101, 1023, 1024, 65535, 65536, 1000, 1001, 16384, 16385,
  2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e21, 1e300, -1e300, -1.9e289, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN,
];

// Not here: strings that look like CDK tokens ('${Token[TOKEN.1]}'). Validation skips unresolved
// tokens by contract and a fake one cannot resolve, so such a design passes check and fails synth
// without a bug in the object API; a design file can hold no token, which test/design covers.
const LONG = 'x'.repeat(300);
const VERY_LONG = 'y'.repeat(10_000);
export const SPECIAL_STRINGS: readonly string[] = [
  '',
  ' ',
  'a',
  'a\nb',
  'line\r\nbreak',
  'tab\there',
  'nul\u0000byte',
  'ünïcödé',
  '模型',
  '🚀',
  'UPPER',
  ' padded ',
  'has space',
  "it's",
  '"quoted"',
  '$(reboot)',
  '${var.x}',
  'null',
  'undefined',
  '-leading-hyphen',
  'a'.repeat(20),
  'a'.repeat(21),
  'a'.repeat(63),
  'a'.repeat(64),
  LONG,
  VERY_LONG,
];

const ODD_KEYS: readonly string[] = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '', ' ', 'unknownKey', 'x'.repeat(300)];

const ENV_NAMES: readonly string[] = ['1BAD', 'has space', 'A-B', '', 'a=b', 'ÜMLAUT', 'x'.repeat(300), 'PATH', 'LD_PRELOAD', 'hf_token', 'HF_TOKEN', 'OK_NAME', 'lower_ok'];
const ENV_VALUES: readonly string[] = ['1', '', 'multi\nline', "quote'", '$(id)', VERY_LONG, 'ünï'];

const HEALTH_PATHS: readonly string[] = ['/', '/health', 'health', '', '/' + 'h'.repeat(1023), '/' + 'h'.repeat(1024), '/' + 'h'.repeat(2048), '/a b', '/q?x=1', '/new\nline', '/ünï', '//double', '/%00', "/it's"];

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets an own property the way `JSON.parse` and `yaml` do: `__proto__` becomes a key, not the prototype. */
function setOwn(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------------------
// Paths

interface Slot {
  readonly path: readonly Key[];
  readonly parent: Json;
  readonly key: Key;
  readonly value: Json;
}

function slots(root: Json): Slot[] {
  const out: Slot[] = [];
  const walk = (value: Json, path: Key[]) => {
    if (Array.isArray(value)) value.forEach((v, i) => { out.push({ path: [...path, i], parent: value, key: i, value: v }); walk(v, [...path, i]); });
    else if (isObject(value)) for (const k of Object.keys(value)) { out.push({ path: [...path, k], parent: value, key: k, value: value[k] }); walk(value[k], [...path, k]); }
  };
  walk(root, []);
  return out;
}

export function formatPath(path: readonly Key[]): string {
  let s = '';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : s === '' ? JSON.stringify(k).slice(1, -1) : `.${JSON.stringify(k).slice(1, -1)}`;
  return s || '(root)';
}

/** A value as a mutation description shows it: special numbers by name, long strings shortened. */
export function show(v: Json): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') {
    const s = JSON.stringify(v);
    return s.length > 40 ? `${JSON.stringify(v.slice(0, 12))}…(${v.length} chars)` : s;
  }
  if (v === undefined) return 'undefined';
  const s = JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : typeof x === 'string' && x.length > 40 ? `${x.slice(0, 12)}…(${x.length} chars)` : x));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Picks a slot; most draws land inside `endpoints` (the section every cloud synthesizes today). */
function pickSlot(rng: Rng, all: Slot[], filter: (s: Slot) => boolean): Slot | undefined {
  const candidates = all.filter(filter);
  if (candidates.length === 0) return undefined;
  const inEndpoints = candidates.filter((s) => s.path[0] === 'endpoints' || s.path[0] === 'name' || s.path[0] === 'tags' || s.path[0] === 'region');
  if (inEndpoints.length > 0 && rng.chance(0.6)) return rng.pick(inEndpoints);
  return rng.pick(candidates);
}

function misspell(rng: Rng, key: string): string {
  if (key.length === 0) return 'x';
  const i = rng.int(key.length);
  switch (rng.int(5)) {
    case 0:
      return key.slice(0, i) + key.slice(i + 1) || `${key}${key}`; // drop a letter
    case 1:
      return i + 1 < key.length ? key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2) : `${key}s`; // swap two
    case 2:
      return key.toUpperCase() === key ? key.toLowerCase() : key.toUpperCase(); // case
    case 3:
      return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) === key ? `${key}_` : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`); // snake_case
    default:
      return `${key.slice(0, i)}${'aeiou'[rng.int(5)]}${key.slice(i)}`; // insert a letter
  }
}

function retyped(rng: Rng, v: Json): Json {
  const options: Json[] = [null, true, false, 'text', 42, 0, [], {}, [v], { value: v }];
  const kind = (x: Json) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);
  const different = options.filter((o) => kind(o) !== kind(v));
  const out = rng.pick(different);
  if (typeof v === 'number' && typeof out === 'string') return rng.chance(0.5) ? String(v) : out; // "8" for 8, as YAML quoting does
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Mutations

/** A mutation kind: applies itself to `design` and says what it did, or returns undefined when it cannot apply. */
type Mutator = (rng: Rng, design: Json) => string | undefined;

const MUTATORS: Readonly<Record<string, Mutator>> = {
  delete(rng, d) {
    const s = pickSlot(rng, slots(d), () => true);
    if (!s) return undefined;
    if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
    else delete s.parent[s.key];
    return `delete ${formatPath(s.path)}`;
  },
  duplicate(rng, d) {
    const s = pickSlot(rng, slots(d), (x) => Array.isArray(x.parent));
    if (!s) return undefined;
    (s.parent as Json[]).splice((s.key as number) + 1, 0, structuredClone(s.value));
    return `duplicate ${formatPath(s.path)}`;
  },
  retype(rng, d) {
    const s = pickSlot(rng, slots(d), () => true);
    if (!s) return undefined;
    const v = retyped(rng, s.value);
    s.parent[s.key] = v;
    return `retype ${formatPath(s.path)} = ${show(v)}`;
  },
  number(rng, d) {
    const s = pickSlot(rng, slots(d), (x) => typeof x.value === 'number');
    if (!s) return undefined;
    const near = [s.value - 1, s.value + 1, s.value * 2, s.value / 2, -s.value];
    const v = rng.chance(0.75) ? rng.pick(SPECIAL_NUMBERS) : rng.pick(near);
    s.parent[s.key] = v;
    return `number ${formatPath(s.path)} = ${show(v)}`;
  },
  string(rng, d) {
    const s = pickSlot(rng, slots(d), (x) => typeof x.value === 'string');
    if (!s) return undefined;
    const own = s.value as string;
    const derived = [`${own}\n`, `${own} `, own.toUpperCase(), `${own}${own}`, own + 'x'.repeat(300)];
    const v = rng.chance(0.7) ? rng.pick(SPECIAL_STRINGS) : rng.pick(derived);
    s.parent[s.key] = v;
    return `string ${formatPath(s.path)} = ${show(v)}`;
  },
  'unknown-key'(rng, d) {
    const objects = [{ path: [] as Key[], parent: undefined, key: '', value: d } as Slot, ...slots(d).filter((x) => isObject(x.value))];
    const s = rng.chance(0.6) && objects.some((o) => o.path[0] === 'endpoints') ? rng.pick(objects.filter((o) => o.path[0] === 'endpoints')) : rng.pick(objects);
    const key = rng.pick(ODD_KEYS);
    const value = rng.pick<Json>([1, 'x', true, {}, null]);
    setOwn(s.value, key, value);
    return `unknown-key ${formatPath([...s.path, key])} = ${show(value)}`;
  },
  misspell(rng, d) {
    const s = pickSlot(rng, slots(d), (x) => typeof x.key === 'string' && isObject(x.parent));
    if (!s) return undefined;
    const key = misspell(rng, s.key as string);
    if (key === s.key || Object.prototype.hasOwnProperty.call(s.parent, key)) return undefined;
    // Rebuilt so the key keeps its position, as in the user's file.
    const entries = Object.entries(s.parent as Record<string, Json>);
    for (const k of Object.keys(s.parent)) delete s.parent[k];
    for (const [k, v] of entries) setOwn(s.parent, k === s.key ? key : k, v);
    return `misspell ${formatPath(s.path)} -> ${JSON.stringify(key)}`;
  },
  'empty-list'(rng, d) {
    const s = pickSlot(rng, slots(d), (x) => Array.isArray(x.value));
    if (!s) return undefined;
    s.parent[s.key] = [];
    return `empty-list ${formatPath(s.path)}`;
  },
  'many-endpoints'(rng, d) {
    // Around CloudFormation's 500 resources per stack (about 16-20 resources an endpoint on AWS):
    // some endpoints carry reservations and an off-peak schedule, which add resources.
    const n = rng.pick([2, 5, 10, 16, 20, 24, 25, 26, 27, 28, 30, 40]);
    const extras: string[] = [];
    d.endpoints = Array.from({ length: n }, (_, i) => {
      const e = minimalEndpoint(`e${i}`);
      if (rng.chance(0.3)) {
        e.capacity = { min: 3, max: 5 };
        e.purchase = { reserved: 1 + rng.int(3) };
        extras.push(`e${i} reserved ${e.purchase.reserved}`);
      }
      if (rng.chance(0.2)) {
        e.scaling = { offPeak: { start: '0 20 * * 1-5', end: '0 7 * * 1-5', min: e.purchase?.reserved ?? 0 } };
        extras.push(`e${i} offPeak`);
      }
      return e;
    });
    delete d.router; // the router's endpoint models name the base design's endpoints
    return `many-endpoints endpoints = ${n} minimal endpoints${extras.length ? ` (${extras.join(', ')})` : ''}`;
  },
  'router-deployment'(rng, d) {
    if (!isObject(d.router)) return undefined;
    // Boundaries of every cloud: Azure's 512/2048/4096 MiB and 40-request floor, Lambda's 900 s, the
    // route deadlines a timeout must cover, and values outside every range.
    const deployment: Record<string, unknown> = {};
    if (rng.chance(0.7)) deployment.memoryMiB = rng.pick([512, 1024, 2048, 4096, 4097, 8192, 10240, 10241, 511, 2048.5]);
    if (rng.chance(0.5)) deployment.timeoutSeconds = rng.pick([10, 60, 90, 230, 300, 900, 901, 9]);
    if (rng.chance(0.5)) deployment.maxConcurrentRequests = rng.pick([1, 39, 40, 80, 100, 1000, 10000, 10001]);
    if (rng.chance(0.3)) deployment.logRetentionDays = rng.pick([1, 29, 30, 730, 731, 3650]);
    const alarms: Record<string, unknown> = {};
    if (rng.chance(0.4)) alarms.errorRatePercent = rng.pick([0, 0.5, 5, 100, 101]);
    if (rng.chance(0.4)) alarms.p99LatencyMs = rng.pick([1, 2000, 0, 1.5]);
    if (rng.chance(0.4)) alarms.evaluationMinutes = rng.pick([1, 5, 7, 60, 61]);
    d.router.deployment = deployment;
    if (Object.keys(alarms).length > 0) d.router.alarms = alarms;
    return `router-deployment router.deployment = ${show(deployment)}, router.alarms = ${show(alarms)}`;
  },
  'env-names'(rng, d) {
    const endpoints = Array.isArray(d.endpoints) && d.endpoints.length > 0 ? d.endpoints : (d.endpoints = [minimalEndpoint('llm')]);
    const i = rng.int(endpoints.length);
    const e = endpoints[i];
    if (!isObject(e) || !isObject(e.server)) return undefined;
    const env: Record<string, string> = {};
    const n = 1 + rng.int(3);
    for (let k = 0; k < n; k++) setOwn(env, rng.pick(ENV_NAMES), rng.pick(ENV_VALUES));
    e.server.env = env;
    return `env-names endpoints[${i}].server.env = ${show(env)}`;
  },
  'server-fields'(rng, d) {
    const endpoints = Array.isArray(d.endpoints) && d.endpoints.length > 0 ? d.endpoints : (d.endpoints = [minimalEndpoint('llm')]);
    const i = rng.int(endpoints.length);
    const e = endpoints[i];
    if (!isObject(e) || !isObject(e.server)) return undefined;
    const field = rng.pick(['healthPath', 'healthPath', 'image', 'model', 'args', 'port']);
    let v: Json;
    if (field === 'healthPath') v = rng.pick(HEALTH_PATHS);
    else if (field === 'image') v = rng.pick(['vllm/vllm-openai:v0.6.3\n', 'img:v1\nrm -rf /', 'registry.example.com:5000/team/img:1.0', 'img@sha256:' + 'a'.repeat(64), 'img:latest', 'img', `img:${'1'.repeat(300)}`, "it's:1", 'ünï:1']);
    else if (field === 'model') v = rng.pick(['m\nodel', "it's", '$(id)', 'x'.repeat(300), '', 'org/model --trust-remote-code', 'ünï']);
    else if (field === 'args') v = rng.pick([[], [''], ['--a', 'b c'], ['multi\nline'], ['--port', '9000'], ['--port=9000'], Array.from({ length: 200 }, (_, k) => `--flag-${k}`), ["it's"]]);
    else v = rng.pick([1023, 1024, 8000, 65535, 65536, 80, 8000.5]);
    e.server[field] = v;
    return `server-fields endpoints[${i}].server.${field} = ${show(v)}`;
  },
  catalog(rng, d) {
    const endpoints = Array.isArray(d.endpoints) && d.endpoints.length > 0 ? d.endpoints : (d.endpoints = [minimalEndpoint('llm')]);
    const i = rng.int(endpoints.length);
    const e = endpoints[i];
    if (!isObject(e)) return undefined;
    const ids = Accelerator.ids();
    const parts: string[] = [];
    e.accelerator = rng.pick(ids);
    parts.push(`accelerator = ${e.accelerator}`);
    e.acceleratorsPerReplica = rng.pick([1, 2, 4, 8]);
    parts.push(`acceleratorsPerReplica = ${e.acceleratorsPerReplica}`);
    if (rng.chance(0.7)) {
      e.acceleratorOverrides = {};
      for (const cloud of ['aws', 'gcp', 'azure']) if (rng.chance(0.5)) e.acceleratorOverrides[cloud] = rng.pick(ids);
      parts.push(`acceleratorOverrides = ${show(e.acceleratorOverrides)}`);
    } else delete e.acceleratorOverrides;
    return `catalog endpoints[${i}]: ${parts.join(', ')}`;
  },
  capacity(rng, d) {
    const endpoints = Array.isArray(d.endpoints) && d.endpoints.length > 0 ? d.endpoints : (d.endpoints = [minimalEndpoint('llm')]);
    const i = rng.int(endpoints.length);
    const e = endpoints[i];
    if (!isObject(e)) return undefined;
    const small = () => rng.pick([0, 0, 1, 1, 2, 3, 4, 5, 8, 10, 999, 1000, 1001]);
    const min = small();
    const max = Math.max(min, small());
    e.capacity = { min, max };
    if (rng.chance(0.3)) e.capacity.expectedAverage = rng.pick([min, max, (min + max) / 2]);
    e.purchase = {};
    if (rng.chance(0.6)) e.purchase.reserved = Math.min(max, small());
    if (rng.chance(0.6)) e.purchase.onDemandBase = Math.max(0, Math.min(max - (e.purchase.reserved ?? 0), small()));
    if (rng.chance(0.7)) e.purchase.spotPercentAboveBase = rng.pick([0, 1, 33, 50, 50.5, 70, 99, 100]);
    if (rng.chance(0.3)) e.scaling = { targetGpuUtilization: rng.pick([10, 50, 70, 95, 70.5]), ...(rng.chance(0.5) ? { offPeak: { start: '0 20 * * 1-5', end: '0 7 * * 1-5', min: Math.min(min, e.purchase.reserved ?? 0), timeZone: rng.pick(['UTC', 'Europe/Berlin', 'Asia/Kolkata', 'America/St_Johns']) } } : {}) };
    if (rng.chance(0.2)) e.rootVolumeGiB = rng.pick([50, 200, 16384, 100.5]);
    return `capacity endpoints[${i}]: ${show({ capacity: e.capacity, purchase: e.purchase, scaling: e.scaling, rootVolumeGiB: e.rootVolumeGiB })}`;
  },
  clouds(rng, d) {
    const choice = rng.pick<Json>([['aws'], ['gcp'], ['azure'], ['aws', 'gcp'], [], ['aws', 'aws'], ['AWS'], 'aws']);
    if (rng.chance(0.5)) d.clouds = choice;
    else if (isObject(d.region)) {
      const cloud = rng.pick(['aws', 'gcp', 'azure']);
      const region = rng.pick([undefined, 'us-east-1', 'us-central1', 'eastus', 'westeurope', 'europe-west4', 'eu-central-1', 'US-EAST-1', 'mars-1']);
      if (region === undefined) delete d.region[cloud];
      else d.region[cloud] = region;
      return `clouds region.${cloud} = ${show(region)}`;
    }
    return `clouds clouds = ${show(choice)}`;
  },
  names(rng, d) {
    const v = rng.pick(['ab', 'abc', 'a'.repeat(20), 'a'.repeat(21), 'a-', 'a--b', '1abc', 'Abc', 'ab_c', 'x'.repeat(300)]);
    if (rng.chance(0.5) || !Array.isArray(d.endpoints) || d.endpoints.length === 0) {
      d.name = v;
      return `names name = ${show(v)}`;
    }
    const i = rng.int(d.endpoints.length);
    if (!isObject(d.endpoints[i])) return undefined;
    d.endpoints[i].name = rng.pick(['a', 'a'.repeat(20), 'a'.repeat(21), 'e-', 'e--1', '0e', ...(d.endpoints.length > 1 ? [d.endpoints[(i + 1) % d.endpoints.length]?.name] : [])]);
    return `names endpoints[${i}].name = ${show(d.endpoints[i].name)}`;
  },
  interpolation(rng, d) {
    // Template syntax of the output formats: a design value must reach them as a literal.
    const s = pickSlot(rng, slots(d), (x) => typeof x.value === 'string');
    if (!s) return undefined;
    const syntax = rng.pick(['${var.x}', 'a-${var.x}-b', '${Token[TOKEN.1]', '%{ if true }x%{ endif }', '$${literal}', '{{resolve:ssm:/x}}', '${AWS::Region}', '#{Token[X]}']);
    const v = rng.chance(0.5) ? syntax : `${s.value}${syntax}`;
    s.parent[s.key] = v;
    return `interpolation ${formatPath(s.path)} = ${show(v)}`;
  },
  accounts(rng, d) {
    const cloud = rng.pick(['aws', 'gcp', 'azure']);
    const values: Record<string, Json[]> = {
      aws: ['123456789012', '000000000000', '12345678901', '1234567890123', 'abcdefghijkl', 123456789012],
      gcp: ['my-project-123', 'abcdef', 'a'.repeat(30), 'a'.repeat(31), 'My-Project', 'proj-', 'p'],
      azure: ['00000000-0000-0000-0000-000000000000', '0A1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D', 'not-a-guid', '00000000-0000-0000-0000-00000000000'],
    };
    const v = rng.pick(values[cloud]);
    if (!isObject(d.accounts)) d.accounts = {};
    d.accounts[cloud] = v;
    return `accounts accounts.${cloud} = ${show(v)}`;
  },
  prices(rng, d) {
    const prices = isObject(d.prices) ? d.prices : (d.prices = {});
    const v = rng.pick<Json>([0, 0.0001, 1.5, 100, -1, 1e300, Infinity, NaN, '1.5']);
    if (rng.chance(0.6)) {
      const type = rng.pick(['g6.xlarge', 'g5.12xlarge', 'g2-standard-4', 'a2-highgpu-1g', 'Standard_NV36ads_A10_v5', 'Standard_NC24ads_A100_v4', 'no-such-type']);
      const field = rng.pick(['onDemandHourlyUsd', 'spotHourlyUsd', 'committed1yHourlyUsd']);
      prices.instances = { ...(isObject(prices.instances) ? prices.instances : {}), [type]: { [field]: v } };
      return `prices prices.instances.${type}.${field} = ${show(v)}`;
    }
    const model = rng.pick(['claude-3-5-haiku', 'gemini-2-5-flash', 'gpt-4o-mini', 'no-such-model']);
    const field = rng.pick(['inputPer1kUsd', 'outputPer1kUsd']);
    prices.models = { ...(isObject(prices.models) ? prices.models : {}), [model]: { [field]: v } };
    return `prices prices.models.${model}.${field} = ${show(v)}`;
  },
  'terraform-state'(rng, d) {
    const cloud = rng.pick(['gcp', 'azure']);
    const v = rng.pick<Json>([
      {},
      { backend: 'local' },
      { backend: 'local', path: 'state/terraform.tfstate' },
      { backend: 'local', path: '../outside.tfstate' },
      { backend: 'local', path: '/abs/terraform.tfstate' },
      { backend: 'local', path: 'has space/ünï.tfstate' },
      { backend: 'gcs', bucket: 'my-tf-state' },
      { backend: 'gcs', bucket: 'my-tf-state', prefix: 'team/app' },
      { backend: 'gcs', bucket: 'My_Bucket' },
      { backend: 'gcs' },
      { backend: 'azurerm', storageAccountName: 'tfstate12345', containerName: 'tfstate' },
      { backend: 'azurerm', storageAccountName: 'tfstate12345', containerName: 'tfstate', key: 'app.tfstate', resourceGroupName: 'rg-tf' },
      { backend: 'azurerm', storageAccountName: 'TF', containerName: 'a--b' },
      { backend: 's3', bucket: 'x' },
      { backend: 'gcs', bucket: 'my-tf-state', path: 'x' },
    ]);
    d.terraformState = { ...(isObject(d.terraformState) ? d.terraformState : {}), [cloud]: structuredClone(v) };
    return `terraform-state terraformState.${cloud} = ${show(v)}`;
  },
  timings(rng, d) {
    const endpoints = Array.isArray(d.endpoints) && d.endpoints.length > 0 ? d.endpoints : (d.endpoints = [minimalEndpoint('llm')]);
    const i = rng.int(endpoints.length);
    const e = endpoints[i];
    if (!isObject(e)) return undefined;
    const field = rng.pick(['startupGraceSeconds', 'drainSeconds']);
    const v = rng.pick([0, 1, 29, 30, 59, 60, 120, 120.5, 900, 3600, 3601, 86400]);
    e[field] = v;
    return `timings endpoints[${i}].${field} = ${v}`;
  },
};

/** Kinds with their draw weights. */
const KIND_WEIGHTS: readonly [string, number][] = [
  ['delete', 8],
  ['duplicate', 4],
  ['retype', 8],
  ['number', 12],
  ['string', 8],
  ['unknown-key', 5],
  ['misspell', 5],
  ['empty-list', 3],
  ['many-endpoints', 2],
  ['env-names', 4],
  ['server-fields', 5],
  ['catalog', 8],
  ['capacity', 10],
  ['clouds', 3],
  ['names', 3],
  ['interpolation', 4],
  ['accounts', 3],
  ['prices', 3],
  ['terraform-state', 3],
  ['timings', 3],
];
export const KINDS: readonly string[] = KIND_WEIGHTS.map(([k]) => k);
const TOTAL_WEIGHT = KIND_WEIGHTS.reduce((n, [, w]) => n + w, 0);

function drawKind(rng: Rng): string {
  let r = rng.next() * TOTAL_WEIGHT;
  for (const [k, w] of KIND_WEIGHTS) if ((r -= w) < 0) return k;
  return KIND_WEIGHTS[KIND_WEIGHTS.length - 1][0];
}

export interface MutatedDesign {
  readonly seed: number;
  readonly index: number;
  readonly base: string;
  /** The first mutation's kind ('none' for an unmutated base), used to stratify the synth sample. */
  readonly kind: string;
  /** What was done, in order, e.g. `number endpoints[0].capacity.max = -1e300`. */
  readonly mutations: readonly string[];
  readonly design: Json;
}

/** Design `index` of `seed`: the first `BASES.length` indexes are the unmutated bases. */
export function mutatedDesign(seed: number, index: number): MutatedDesign {
  const rng = new Rng(seed, index);
  if (index < BASES.length) return { seed, index, base: BASES[index].name, kind: 'none', mutations: [], design: BASES[index].build() };
  const base = rng.pick(DRAWN_BASES);
  const design = base.build();
  const count = rng.chance(0.5) ? 1 : rng.chance(0.6) ? 2 : 3;
  const mutations: string[] = [];
  const kinds: string[] = [];
  for (let attempt = 0; mutations.length < count && attempt < 20; attempt++) {
    const kind = drawKind(rng);
    const done = MUTATORS[kind](rng, design);
    if (done !== undefined) {
      mutations.push(done);
      kinds.push(kind);
    }
  }
  return { seed, index, base: base.name, kind: kinds[0] ?? 'none', mutations, design };
}
