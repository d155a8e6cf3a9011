import { isToken, join, type Problems } from './problems';
import { quote } from './quote';

/**
 * Physical names. Every name a construct gives a cloud resource starts with a prefix (the design's
 * name under `AiStack`, `namePrefix` for a single construct), so two designs, or two stacks, deploy
 * side by side into one AWS account and region, one GCP project and one Azure resource group.
 */
export interface NamePrefixProps {
  /**
   * Prefix of every physical name the construct gives a resource (1-20 lowercase letters, digits or
   * hyphens, starting with a letter). Names keep each service's length limit: a name that would be
   * longer is cut and ends in a short hash of the full name, so it stays unique.
   * @default - the design's name under `AiStack`; otherwise the id of the enclosing stack, lower-cased
   *   with other characters turned into `-` and cut to 20 characters
   */
  readonly namePrefix?: string;
}

const PREFIX = /^[a-z][a-z0-9-]{0,19}$/;

/** Checks a `namePrefix` prop. */
export function validateNamePrefix(prefix: unknown, path: string, problems: Problems): void {
  if (prefix === undefined || isToken(prefix)) return;
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    problems.add(join(path, 'namePrefix'), `must be 1-20 lowercase letters, digits or hyphens starting with a letter (got ${quote(prefix)})`);
  }
}

/** The default prefix for a construct in a stack with id `stackId`: lower case, `-` for other characters, at most 20. */
export function defaultNamePrefix(stackId: string): string {
  let p = stackId.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(p)) p = `s-${p}`;
  return p.slice(0, 20).replace(/-+$/, '') || 's';
}

/**
 * `parts` joined by `-`, at most `maxLength` characters. A longer name is cut and ends in `-` and six
 * characters of a hash of the whole name, so distinct long names stay distinct. Deterministic.
 */
export function fitName(parts: readonly string[], maxLength: number): string {
  const full = parts.filter((p) => p !== '').join('-');
  if (full.length <= maxLength) return full;
  const hash = fnv1a(full).toString(36).padStart(7, '0').slice(-6);
  const head = full.slice(0, maxLength - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/** 32-bit FNV-1a: a small, stable hash (no crypto needed for uniqueness of names). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
