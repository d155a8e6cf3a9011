/** One thing wrong with a design: where (a path such as `endpoints[1].capacity.max`) and what. */
export interface DesignProblem {
  /** Path of the offending field inside the design, e.g. `endpoints[1].capacity.max`. */
  readonly path: string;
  /** What is wrong and what is allowed. */
  readonly message: string;
  /** 1-based line in the source file, when the design was loaded from a file. */
  readonly line?: number;
}

/**
 * Thrown when a design (or a construct prop) is invalid. Lists every problem found, each with its
 * path, so one run shows all that needs fixing.
 */
export class DesignError extends Error {
  public readonly problems: readonly DesignProblem[];

  constructor(problems: readonly DesignProblem[], source?: string) {
    super(formatProblems(problems, source));
    this.name = 'DesignError';
    this.problems = problems;
  }
}

export function formatProblems(problems: readonly DesignProblem[], source?: string): string {
  const where = source ? ` in ${source}` : '';
  const lines = problems.map((p) => {
    const at = p.line !== undefined && source ? `${source}:${p.line}: ` : '';
    return `  - ${at}${p.path}: ${p.message}`;
  });
  return `invalid design${where} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
}

/** Collects problems during validation; `throwIfAny` raises them together. */
export class Problems {
  private readonly list: DesignProblem[] = [];

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }

  get all(): readonly DesignProblem[] {
    return this.list;
  }

  get count(): number {
    return this.list.length;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new DesignError(this.list);
  }
}

/** Joins a parent path and a child key or index: `join('a', 'b') = 'a.b'`, `join('a', 0) = 'a[0]'`. */
export function join(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/**
 * True for values that are unresolved construct tokens (CDK `${Token[...]}`, cdktf `${TfToken[...]}`,
 * or numbers encoded as tokens). Such values are not validated as literals.
 */
export function isToken(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('${Token[') || value.includes('${TfToken[');
  // CDK and cdktf encode number tokens as very large negative doubles in a reserved range.
  if (typeof value === 'number') return value <= -1.8881545897087e289;
  return false;
}
