import { holdsListToken, isToken, join, joinKey, Problems } from './problems';
import { quote } from './quote';

/**
 * A small structural schema of the design: which keys exist and what type each holds. It catches
 * unknown keys (a misspelled key must never be silently ignored) and wrong types before the semantic
 * rules of each capability run.
 */
export type Shape =
  | { readonly kind: 'string' }
  | { readonly kind: 'number' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'array'; readonly item: Shape }
  | { readonly kind: 'record'; readonly value: Shape }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Shape>>; readonly required: readonly string[] }
  | { readonly kind: 'ref'; readonly description: string };

/** The shape of an object: its fields and which of them are required. */
export type ObjectShape = Extract<Shape, { kind: 'object' }>;

export const str: Shape = { kind: 'string' };
/** A finite number (`.inf`, `-.inf` and `.nan` from YAML are refused). Number tokens pass. */
export const num: Shape = { kind: 'number' };
export const bool: Shape = { kind: 'boolean' };
export const oneOf = (...values: string[]): Shape => ({ kind: 'enum', values });
export const arrayOf = (item: Shape): Shape => ({ kind: 'array', item });
export const recordOf = (value: Shape): Shape => ({ kind: 'record', value });
/** An object shape; keys listed in `required` must be present. */
export const obj = (fields: Record<string, Shape>, required: string[] = []): ObjectShape => ({ kind: 'object', fields, required });
/**
 * A construct prop the design cannot describe: an object or class instance such as an `ec2.IVpc`
 * or an `IKey` (any object or function that is not null). `description` names it in messages:
 * `ref('an ec2.IVpc')` reports "must be an ec2.IVpc (got the string 'vpc-123')".
 */
export const ref = (description: string): Shape => ({ kind: 'ref', description });

/**
 * `base` (an object shape) with more fields and required keys, e.g. construct props built from a
 * capability's design shape: `extendShape(gpuEndpointShape, { vpc: ref('an ec2.IVpc') })`. A field
 * named in both takes the new shape.
 */
export function extendShape(base: Shape, fields: Record<string, Shape>, required: readonly string[] = []): ObjectShape {
  if (base.kind !== 'object') throw new TypeError(`extendShape needs an object shape, got a ${base.kind} shape`);
  return obj({ ...base.fields, ...fields }, [...new Set([...base.required, ...required])]);
}

/** Keys are looked up as own properties: `'constructor' in {}` is true, and must not make `constructor` a known key. */
const hasOwn = (value: object, key: string): boolean => Object.prototype.hasOwnProperty.call(value, key);

/** Keys no map may hold: assigning them to an ordinary object would replace its prototype. */
const FORBIDDEN_KEYS = new Set(['__proto__']);

/** An enum-like class instance (e.g. `Accelerator.NVIDIA_L4`) is accepted where its id string is. */
function idOf(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof (value as { id?: unknown }).id === 'string') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return (value as { id: string }).id;
  }
  return value;
}

/** A received value as a type message shows it: `the string 'ten'`, `Infinity`, `a list of 2`. */
function describe(value: unknown): string {
  if (typeof value === 'string' && !isToken(value)) return `the string ${quote(value)}`;
  return quote(value);
}

/** Checks `value` against `shape`, adding a problem for each unknown key, missing key or wrong type. */
export function checkShape(value: unknown, shape: Shape, path: string, problems: Problems): void {
  // An unresolved token is not checked as a literal; an enum is the exception (see below).
  if (shape.kind !== 'enum' && isToken(value)) return;
  switch (shape.kind) {
    case 'string':
      if (typeof idOf(value) !== 'string') problems.add(path, `must be a string (got ${describe(value)})`);
      // CDK and cdktf refuse a list token's marker inside a string at synth.
      else if (typeof value === 'string' && holdsListToken(value)) {
        problems.add(path, 'holds an encoded list token where one string belongs; turn the list into a string first (Fn.select or Fn.join)');
      }
      return;
    case 'number':
      if (typeof value !== 'number') problems.add(path, `must be a number (got ${describe(value)})`);
      else if (!Number.isFinite(value)) problems.add(path, `must be a finite number (got ${quote(value)})`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.add(path, `must be true or false (got ${describe(value)})`);
      return;
    case 'enum':
      if (typeof value === 'string' && shape.values.includes(value)) return;
      if (isToken(value)) {
        problems.add(path, `must be one of ${shape.values.join(', ')} as a literal: it decides what is built at synth (got ${quote(value)})`);
      } else {
        const hint = typeof value === 'string' ? closest(value, shape.values) : undefined;
        problems.add(path, `must be one of ${shape.values.join(', ')} (got ${describe(value)}${hint ? `; did you mean '${hint}'?` : ''})`);
      }
      return;
    case 'ref':
      if (value === null || (typeof value !== 'object' && typeof value !== 'function')) problems.add(path, `must be ${shape.description} (got ${describe(value)})`);
      return;
    case 'array':
      if (!Array.isArray(value)) {
        problems.add(path, `must be a list (got ${describe(value)})`);
        return;
      }
      value.forEach((item, i) => checkShape(item, shape.item, join(path, i), problems));
      return;
    case 'record':
      if (!isPlainObject(value)) {
        problems.add(path, `must be a map (got ${describe(value)})`);
        return;
      }
      for (const key of Object.keys(value)) {
        if (FORBIDDEN_KEYS.has(key)) problems.add(joinKey(path, key), `is not allowed as a key: it names the prototype of a JavaScript object`);
        else checkShape(value[key], shape.value, joinKey(path, key), problems);
      }
      return;
    case 'object': {
      if (!isPlainObject(value)) {
        problems.add(path, `must be a map (got ${describe(value)})`);
        return;
      }
      const allowed = Object.keys(shape.fields);
      for (const key of Object.keys(value)) {
        if (!hasOwn(shape.fields, key)) {
          const hint = closest(key, allowed);
          problems.add(joinKey(path, key), `unknown key${hint ? ` (did you mean '${hint}'?)` : ''}; allowed keys: ${allowed.join(', ')}`);
        }
      }
      for (const key of shape.required) {
        if (!hasOwn(value, key) || value[key] === undefined) problems.add(join(path, key), 'is required');
      }
      for (const key of allowed) {
        const v = hasOwn(value, key) ? value[key] : undefined;
        if (v !== undefined) checkShape(v, shape.fields[key], join(path, key), problems);
      }
      return;
    }
  }
}

/** True for an object that is not a list (a map of the design, or a construct's props object). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The allowed key nearest to a misspelled one, for "did you mean": at most 2 edits away, and fewer
 * edits than half the candidate's length (so 'z' does not suggest 'x').
 */
export function closest(key: string, allowed: readonly string[]): string | undefined {
  if (key.length > 100) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance && d < candidate.length / 2) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/**
 * The range rule of a numeric field. Rules of a section are kept as one table per section (as
 * aws-sqs `validate-queue-props` does) and checked by {@link checkNumbers}.
 */
export interface NumberRule {
  /** Whole numbers only. */
  readonly whole?: boolean;
  /** Smallest allowed value (inclusive). */
  readonly min?: number;
  /** Values must be greater than this (exclusive), e.g. a weight > 0. */
  readonly above?: number;
  /** Largest allowed value (inclusive). */
  readonly max?: number;
  /** Unit written after the range in the message, e.g. `ms`, `percent`, `USD`. */
  readonly unit?: string;
}

/** A table of numeric rules for the fields of one object. */
export type NumberRules<T> = { readonly [K in keyof T]?: NumberRule };

/** What a rule allows, as its message says it: `a whole number between 100 and 900000 ms`, `> 0`. */
export function describeRule(rule: NumberRule): string {
  const range =
    rule.min !== undefined && rule.max !== undefined
      ? `between ${rule.min} and ${rule.max}`
      : rule.above !== undefined && rule.max !== undefined
        ? `> ${rule.above} and <= ${rule.max}`
        : rule.min !== undefined
          ? `>= ${rule.min}`
          : rule.above !== undefined
            ? `> ${rule.above}`
            : rule.max !== undefined
              ? `<= ${rule.max}`
              : '';
  const what = rule.whole ? `a whole number${range ? ` ${range}` : ''}` : range || 'a finite number';
  return rule.unit ? `${what} ${rule.unit}` : what;
}

/** True when `value` (a finite literal number) obeys `rule`. */
export function obeys(value: number, rule: NumberRule): boolean {
  return (
    Number.isFinite(value) &&
    (!rule.whole || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.above === undefined || value > rule.above) &&
    (rule.max === undefined || value <= rule.max)
  );
}

/**
 * Checks one number against its rule. Values that are not numbers (the shape reports them),
 * unresolved tokens and absent values pass; a non-finite number gets the shape's own message, so
 * the two are reported once.
 */
export function checkNumber(value: unknown, rule: NumberRule, path: string, problems: Problems): void {
  if (typeof value !== 'number' || isToken(value)) return;
  if (!Number.isFinite(value)) problems.add(path, `must be a finite number (got ${quote(value)})`);
  else if (!obeys(value, rule)) problems.add(path, `must be ${describeRule(rule)} (got ${quote(value)})`);
}

/** Checks the numeric fields of `value` against a table of rules; each problem's path is `path.<field>`. */
export function checkNumbers<T>(value: T | undefined, rules: NumberRules<T>, path: string, problems: Problems): void {
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(rules) as (keyof T & string)[]) {
    const rule = rules[key];
    if (rule) checkNumber(hasOwn(value, key) ? value[key] : undefined, rule, join(path, key), problems);
  }
}

/** A finite number that is not a token: one a cross-field rule (`deadlineMs >= timeoutMs`) can compare. */
export function isLiteralNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && !isToken(value);
}
