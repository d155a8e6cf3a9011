import { GroupCommitRateLimiter, type RateRecord } from '../distributed/group-commit-rate-limiter';
import { SLOTS } from '../distributed/rate-window';
import { documentCommits, type Codec, type FirestoreCommitOptions } from './documents';
import { FirestoreRest, type FirestoreConnectionOptions } from './rest';
import { FIRESTORE_RATE_COLLECTION, rateDocumentId } from './schema';
import { array, int, map, readArray, readInt, readMap, type Fields } from './values';

export interface FirestoreRateLimiterOptions extends FirestoreConnectionOptions, FirestoreCommitOptions {}

const codec: Codec<RateRecord> = {
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
 * conditional on its `updateTime`, with this process's admissions for a tenant group-committed
 * (`distributed/group-commit-rate-limiter.ts`). Refusals write nothing.
 */
export class FirestoreRateLimiter extends GroupCommitRateLimiter {
  constructor(o: FirestoreRateLimiterOptions) {
    const rest = new FirestoreRest(o);
    const collection = o.rateCollection ?? FIRESTORE_RATE_COLLECTION;
    super(
      documentCommits(rest, (tenant) => rest.documentName(collection, rateDocumentId(tenant)), codec, o),
      (tenant) => void rateDocumentId(tenant),
    );
  }
}
