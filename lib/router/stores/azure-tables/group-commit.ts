/**
 * Optimistic concurrency for one entity, with group commit. All operations queued in this process
 * for the same key are applied, in order, to one read of the entity and written back in one
 * conditional write (If-Match on the ETag read, or an insert). When another process wrote first
 * (412/409) the batch is re-read and re-applied, so each operation's result is always computed
 * from the state its write replaces. Without batching, N concurrent operations on one entity would
 * cost O(N²) failed writes; with it, contention is between processes, not requests.
 */
export interface Stored<S> {
  readonly state: S;
  /** undefined: the entity does not exist yet. */
  readonly etag: string | undefined;
}

export interface EntityStore<S> {
  read(key: string): Promise<Stored<S>>;
  /** Writes `state` if the entity still has `etag` (or still does not exist); false if not. */
  write(key: string, state: S, etag: string | undefined): Promise<boolean>;
}

/** Applies itself to the state (mutating it) and says whether it changed anything. */
export type Operation<S, R> = (state: S) => { readonly result: R; readonly changed: boolean };

interface Queued<S> {
  readonly op: Operation<S, unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

export interface GroupCommitOptions {
  /** @default 100 */
  readonly maxBatch?: number;
  /** Conflicts in a row before the batch fails. @default 50 */
  readonly maxConflicts?: number;
}

export class GroupCommit<S> {
  private readonly queues = new Map<string, Queued<S>[]>();
  private readonly maxBatch: number;
  private readonly maxConflicts: number;

  constructor(
    private readonly store: EntityStore<S>,
    o: GroupCommitOptions = {},
  ) {
    this.maxBatch = o.maxBatch ?? 100;
    this.maxConflicts = o.maxConflicts ?? 50;
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

  private async commit(key: string, batch: readonly Queued<S>[]) {
    for (let conflict = 0; ; conflict++) {
      const { state, etag } = await this.store.read(key);
      let changed = false;
      const outcomes = batch.map((b) => {
        try {
          const r = b.op(state);
          changed ||= r.changed;
          return { ok: true as const, value: r.result };
        } catch (error) {
          return { ok: false as const, error };
        }
      });
      if (!changed || (await this.store.write(key, state, etag))) return outcomes;
      if (conflict + 1 >= this.maxConflicts) throw new Error(`azure tables: ${this.maxConflicts} conflicting writes in a row on '${key}'; retry the request`);
      // Jittered backoff so that the processes that collided do not collide again in step.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** conflict)));
    }
  }
}
