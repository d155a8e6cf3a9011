import type { AdmitRequest, AdmitResult, RateLimiter } from '../rate-limiter';
import { SLOTS, admitInto, bucketOf, decide, emptyRing, isCurrent, latestBucket, rolled, type Ring } from '../distributed/rate-window';
import { GroupCommit, type Codec, type GroupCommitOptions } from './group-commit';
import { FirestoreRest, type FirestoreConnectionOptions } from './rest';
import { FIRESTORE_RATE_COLLECTION, rateDocumentId } from './schema';
import { array, int, map, readArray, readInt, readMap, type Fields } from './values';

export interface FirestoreRateLimiterOptions extends FirestoreConnectionOptions, GroupCommitOptions {}

interface RateState {
  ring: Ring | undefined;
}

const codec: Codec<RateState> = {
  decode(name, fields) {
    const slots = readArray(fields?.slots, `${name}: slots`);
    if (!fields || !slots) return { ring: undefined };
    if (slots.length !== SLOTS) throw new Error(`firestore: ${name}: slots has ${slots.length} entries, not ${SLOTS}`);
    return {
      ring: {
        slots: slots.map((v, i) => {
          const f = readMap(v, `${name}: slots[${i}]`);
          return { b: readInt(f.b, `${name}: slots[${i}].b`), n: readInt(f.n, `${name}: slots[${i}].n`), t: readInt(f.t, `${name}: slots[${i}].t`) };
        }),
        n: readInt(fields.n, `${name}: n`),
        t: readInt(fields.t, `${name}: t`),
      },
    };
  },
  encode(_key, { ring }): Fields {
    if (!ring) throw new Error('firestore: rate limiter wrote no ring'); // unreachable: only admissions write
    return { slots: array(ring.slots.map((s) => map({ b: int(s.b), n: int(s.n), t: int(s.t) }))), n: int(ring.n), t: int(ring.t) };
  },
};

/**
 * Requests and tokens per minute shared by every router instance: the bucket ring of
 * `distributed/rate-window.ts` in one document per tenant, read and replaced with a commit
 * conditional on its `updateTime`, with this process's admissions for a tenant group-committed.
 * Refusals write nothing.
 */
export class FirestoreRateLimiter implements RateLimiter {
  private readonly commits: GroupCommit<RateState>;

  constructor(o: FirestoreRateLimiterOptions) {
    const rest = new FirestoreRest(o);
    const collection = o.rateCollection ?? FIRESTORE_RATE_COLLECTION;
    this.commits = new GroupCommit<RateState>(rest, (tenant) => rest.documentName(collection, rateDocumentId(tenant)), codec, o);
  }

  async admit(r: AdmitRequest): Promise<AdmitResult> {
    rateDocumentId(r.tenant);
    return this.commits.run<AdmitResult>(r.tenant, (state) => {
      const j = state.ring ? Math.max(bucketOf(r.nowMs), latestBucket(state.ring)) : bucketOf(r.nowMs);
      const ring = state.ring && isCurrent(state.ring, j) ? state.ring : rolled(state.ring ?? emptyRing(j), j);
      const result = decide(ring, j, r);
      if (!result.ok) return { result, changed: false };
      admitInto(ring, j, r.tokens);
      state.ring = ring;
      return { result, changed: true };
    });
  }
}
