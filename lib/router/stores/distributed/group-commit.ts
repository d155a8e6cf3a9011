/**
 * Optimistic concurrency for one record, with group commit: the conflict protocol of the stores that
 * change a whole record with one conditional write (Azure Tables with If-Match on the ETag,
 * Firestore with an `updateTime` precondition). All operations queued in this process for the same
 * key are applied, in order, to one read of the record and written back with one write that holds
 * only if the record still has the version that was read (or still does not exist). When another
 * process wrote first, the batch is read and applied again after a jittered backoff, so each
 * operation's result is always computed from the state its write replaces. Without batching, N
 * concurrent operations on one record would cost O(N²) failed writes; with it, contention is
 * between processes, not requests.
 *
 * A store may also name failures worth another attempt (a request that got no answer, an
 * unavailable service): the batch is then read and applied again too. That is only safe because
 * the operations are idempotent against what they read (the ledger's find their own reservation id
 * when a lost write had been applied), and it is off unless the store passes `isTransient`.
 *
 * No cloud SDK is imported here: every bundle may include this file.
 */
export interface Versioned<S, V> {
  readonly state: S;
  /** What a conditional write must name (an ETag, an update time); undefined: the record does not exist yet. */
  readonly version: V | undefined;
}

/**
 * true: written. false: another writer won (a conflict). A store may answer the refusal itself
 * instead of false, so that the error after `maxConflicts` quotes the last one.
 */
export type WriteAnswer = boolean | { readonly conflict: Error };

export interface VersionedStore<S, V> {
  read(key: string): Promise<Versioned<S, V>>;
  /** Writes `state` if the record still has `version` (or still does not exist when undefined). */
  write(key: string, state: S, version: V | undefined): Promise<WriteAnswer>;
}

/** Applies itself to the state (mutating it) and says whether it changed anything. */
export type Operation<S, R> = (state: S) => { readonly result: R; readonly changed: boolean };

/** What the stores' classes use: operations run per key, in order, each against the state its write replaces. */
export interface Commits<S> {
  run<R>(key: string, op: Operation<S, R>): Promise<R>;
}

/** The options the stores expose to their users. */
export interface GroupCommitOptions {
  /** Operations applied in one read-and-write. @default 100 */
  readonly maxBatch?: number;
  /** Conflicting writes in a row before the batch fails. @default 50 */
  readonly maxConflicts?: number;
}

/** Full-jitter exponential backoff before the n-th retry of a batch: random in [0, min(capMs, firstMs · 2^(n-1))). */
export interface Backoff {
  readonly firstMs: number;
  readonly capMs: number;
}

export interface GroupCommitConfig extends GroupCommitOptions {
  /** Starts every error message, e.g. 'azure tables', 'firestore'. */
  readonly label: string;
  /** How error messages name the record of a key. @default the key in single quotes */
  readonly subject?: (key: string) => string;
  readonly backoff: Backoff;
  /** Failures of a read or a write after which the batch is read and applied again. @default none: every failure fails the batch */
  readonly isTransient?: (err: unknown) => boolean;
  /** Transient failures in a row (a conflict resets the count) before the batch fails with the last one. @default 3 */
  readonly maxTransientFailures?: number;
}

interface Queued<S> {
  readonly op: Operation<S, unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class GroupCommit<S, V> implements Commits<S> {
  private readonly queues = new Map<string, Queued<S>[]>();
  private readonly maxBatch: number;
  private readonly maxConflicts: number;
  private readonly maxTransient: number;

  constructor(
    private readonly store: VersionedStore<S, V>,
    private readonly config: GroupCommitConfig,
  ) {
    this.maxBatch = config.maxBatch ?? 100;
    this.maxConflicts = config.maxConflicts ?? 50;
    this.maxTransient = config.maxTransientFailures ?? 3;
  }

  run<R>(key: string, op: Operation<S, R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let q = this.queues.get(key);
      const start = !q;
      if (!q) {
        q = [];
        this.queues.set(key, q);
      }
      q.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (start) void this.drain(key, q);
    });
  }

  /** One batch at a time per key; operations that arrive meanwhile form the next batch. */
  private async drain(key: string, q: Queued<S>[]): Promise<void> {
    while (q.length > 0) {
      const batch = q.splice(0, this.maxBatch);
      try {
        const outcomes = await this.commit(key, batch);
        batch.forEach((b, i) => {
          const o = outcomes[i];
          if (o.ok) b.resolve(o.value);
          else b.reject(o.error);
        });
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.queues.delete(key);
  }

  private async commit(key: string, batch: readonly Queued<S>[]): Promise<Outcome[]> {
    let conflicts = 0;
    let transient = 0;
    for (let retry = 0; ; retry++) {
      // Full jitter: the processes that collided do not collide again in step.
      if (retry > 0) await sleep(Math.random() * Math.min(this.config.backoff.capMs, this.config.backoff.firstMs * 2 ** (retry - 1)));
      let read: Versioned<S, V>;
      try {
        read = await this.store.read(key);
      } catch (err) {
        if (!this.config.isTransient?.(err) || ++transient >= this.maxTransient) throw err;
        continue;
      }
      const { state, version } = read;
      let changed = false;
      const outcomes = batch.map((b): Outcome => {
        try {
          const r = b.op(state);
          changed ||= r.changed;
          return { ok: true, value: r.result };
        } catch (error) {
          return { ok: false, error };
        }
      });
      if (!changed) return outcomes;
      let answer: WriteAnswer;
      try {
        answer = await this.store.write(key, state, version);
      } catch (err) {
        if (!this.config.isTransient?.(err) || ++transient >= this.maxTransient) throw err;
        continue;
      }
      if (answer === true) return outcomes;
      transient = 0;
      if (++conflicts >= this.maxConflicts) {
        const subject = this.config.subject ? this.config.subject(key) : `'${key}'`;
        const last = answer === false ? '' : ` (last: ${answer.conflict.message})`;
        throw new Error(`${this.config.label}: ${conflicts} conflicting writes in a row on ${subject}; retry the request${last}`);
      }
    }
  }
}
