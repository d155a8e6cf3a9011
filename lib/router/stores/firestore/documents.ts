import { GroupCommit, type GroupCommitOptions } from '../distributed/group-commit';
import { isCommitConflict, isTransient, type FirestoreRest } from './rest';
import type { Fields } from './values';

/**
 * The group commit (distributed/group-commit.ts) on Firestore documents, with Firestore's
 * preconditions instead of ETags: a strongly consistent read, then a `commit` whose write is
 * conditional on the `updateTime` that was read (or on `exists: false`). A refused commit is a
 * conflict, retried after up to 2, 4, 8 … 100 ms of jittered backoff.
 *
 * A request that failed without an answer (or with UNAVAILABLE and the like) is also read and
 * applied again: if the lost commit had been applied, the ledger's operations find their own
 * reservation id in what they read and change nothing a second time.
 */
export interface Codec<S> {
  decode(name: string, fields: Fields | undefined): S;
  encode(key: string, state: S): Fields;
}

export interface FirestoreCommitOptions extends GroupCommitOptions {
  /** Requests without an answer (or UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) in a row before the batch fails. @default 3 */
  readonly maxTransientFailures?: number;
}

export function documentCommits<S>(rest: FirestoreRest, nameOf: (key: string) => string, codec: Codec<S>, o: FirestoreCommitOptions): GroupCommit<S, string> {
  return new GroupCommit<S, string>(
    {
      async read(key) {
        const name = nameOf(key);
        const doc = await rest.read(name);
        return { state: codec.decode(name, doc?.fields), version: doc?.updateTime };
      },
      async write(key, state, updateTime) {
        try {
          await rest.write(nameOf(key), codec.encode(key, state), updateTime === undefined ? { exists: false } : { updateTime });
          return true;
        } catch (err) {
          if (isCommitConflict(err)) return { conflict: err as Error };
          throw err;
        }
      },
    },
    {
      label: 'firestore',
      subject: nameOf,
      maxBatch: o.maxBatch,
      maxConflicts: o.maxConflicts,
      isTransient,
      maxTransientFailures: o.maxTransientFailures ?? 3,
      backoff: { firstMs: 2, capMs: 100 },
    },
  );
}
