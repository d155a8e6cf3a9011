import { isCommitConflict, isTransient, type FirestoreRest } from './rest';
import type { Fields } from './values';

/**
 * Optimistic concurrency for one Firestore document, with group commit (the Azure Tables design,
 * with Firestore's preconditions instead of ETags). All operations queued in this process for the
 * same document are applied, in order, to one read of it and written back with one `commit` whose
 * write is conditional on the `updateTime` that was read (or on `exists: false`). When another
 * process wrote first the commit is refused; the batch is read and applied again, with jittered
 * backoff, so each operation's result is always computed from the state its write replaces.
 *
 * A request that failed without an answer (or with UNAVAILABLE and the like) is also read and
 * applied again: if the lost commit had been applied, the ledger's operations find their own
 * reservation id in what they read and change nothing a second time.
 */
export interface Codec<S> {
  decode(name: string, fields: Fields | undefined): S;
  encode(key: string, state: S): Fields;
}

/** Applies itself to the state (mutating it) and says whether it changed anything. */
export type Operation<S, R> = (state: S) => { readonly result: R; readonly changed: boolean };

export interface GroupCommitOptions {
  /** Operations applied in one read-and-write. @default 100 */
  readonly maxBatch?: number;
  /** Refused commits in a row before the batch fails. @default 50 */
  readonly maxConflicts?: number;
  /** Requests without an answer (or UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) in a row before the batch fails. @default 3 */
  readonly maxTransientFailures?: number;
}

interface Queued<S> {
  readonly op: Operation<S, unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class GroupCommit<S> {
  private readonly queues = new Map<string, Queued<S>[]>();
  private readonly maxBatch: number;
  private readonly maxConflicts: number;
  private readonly maxTransient: number;

  constructor(
    private readonly rest: FirestoreRest,
    /** The document name of a key. */
    private readonly nameOf: (key: string) => string,
    private readonly codec: Codec<S>,
    o: GroupCommitOptions = {},
  ) {
    this.maxBatch = o.maxBatch ?? 100;
    this.maxConflicts = o.maxConflicts ?? 50;
    this.maxTransient = o.maxTransientFailures ?? 3;
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

  /** One batch at a time per document; operations that arrive meanwhile form the next batch. */
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
    const name = this.nameOf(key);
    let conflicts = 0;
    let transient = 0;
    let lastConflict: unknown;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await sleep(Math.random() * Math.min(100, 2 ** attempt)); // full jitter: the colliding processes do not collide again in step
      let doc;
      try {
        doc = await this.rest.read(name);
      } catch (err) {
        if (!isTransient(err) || ++transient >= this.maxTransient) throw err;
        continue;
      }
      const state = this.codec.decode(name, doc?.fields);
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
      try {
        await this.rest.write(name, this.codec.encode(key, state), doc ? { updateTime: doc.updateTime } : { exists: false });
        return outcomes;
      } catch (err) {
        if (isCommitConflict(err)) {
          lastConflict = err;
          transient = 0;
          if (++conflicts >= this.maxConflicts) {
            throw new Error(`firestore: ${conflicts} conflicting writes in a row on ${name}; retry the request (last: ${(lastConflict as Error).message})`);
          }
        } else if (!isTransient(err) || ++transient >= this.maxTransient) {
          throw err;
        }
      }
    }
  }
}
