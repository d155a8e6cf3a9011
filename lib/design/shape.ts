import { join, Problems } from './problems';

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
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Shape>>; readonly required: readonly string[] };

export const str: Shape = { kind: 'string' };
export const num: Shape = { kind: 'number' };
export const bool: Shape = { kind: 'boolean' };
export const oneOf = (...values: string[]): Shape => ({ kind: 'enum', values });
export const arrayOf = (item: Shape): Shape => ({ kind: 'array', item });
export const recordOf = (value: Shape): Shape => ({ kind: 'record', value });
/** An object shape; keys listed in `required` must be present. */
export const obj = (fields: Record<string, Shape>, required: string[] = []): Shape => ({ kind: 'object', fields, required });

/** An enum-like class instance (e.g. `Accelerator.NVIDIA_L4`) is accepted where its id string is. */
function idOf(value: unknown): unknown {
  if (value && typeof value === 'object' && 'id' in value && typeof (value as { id: unknown }).id === 'string' && !Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return (value as { id: string }).id;
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Checks `value` against `shape`, adding a problem for each unknown key, missing key or wrong type. */
export function checkShape(value: unknown, shape: Shape, path: string, problems: Problems): void {
  switch (shape.kind) {
    case 'string':
      if (typeof idOf(value) !== 'string') problems.add(path, `must be a string, got ${describe(value)}`);
      return;
    case 'number':
      if (typeof value !== 'number' || Number.isNaN(value)) problems.add(path, `must be a number, got ${describe(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.add(path, `must be true or false, got ${describe(value)}`);
      return;
    case 'enum':
      if (typeof value !== 'string' || !shape.values.includes(value)) {
        problems.add(path, `must be one of ${shape.values.join(', ')}, got ${describe(value)}`);
      }
      return;
    case 'array':
      if (!Array.isArray(value)) {
        problems.add(path, `must be a list, got ${describe(value)}`);
        return;
      }
      value.forEach((item, i) => checkShape(item, shape.item, join(path, i), problems));
      return;
    case 'record':
      if (!isPlainObject(value)) {
        problems.add(path, `must be a map, got ${describe(value)}`);
        return;
      }
      for (const [k, v] of Object.entries(value)) checkShape(v, shape.value, join(path, k), problems);
      return;
    case 'object': {
      if (!isPlainObject(value)) {
        problems.add(path, `must be a map, got ${describe(value)}`);
        return;
      }
      const allowed = Object.keys(shape.fields);
      for (const key of Object.keys(value)) {
        if (!(key in shape.fields)) {
          const hint = closest(key, allowed);
          problems.add(join(path, key), `unknown key${hint ? ` (did you mean '${hint}'?)` : ''}; allowed keys: ${allowed.join(', ')}`);
        }
      }
      for (const key of shape.required) {
        if ((value as Record<string, unknown>)[key] === undefined) problems.add(join(path, key), 'is required');
      }
      for (const [key, fieldShape] of Object.entries(shape.fields)) {
        const v = (value as Record<string, unknown>)[key];
        if (v !== undefined) checkShape(v, fieldShape, join(path, key), problems);
      }
      return;
    }
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The allowed key nearest to a misspelled one (edit distance <= 2), for "did you mean". */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
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
