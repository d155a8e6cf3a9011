import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoDbSdk } from './sdk';
import type { AdmitRequest, AdmitResult, RateLimiter } from '../rate-limiter';
import { WINDOW_MS } from '../rate-limiter';
import { SLOTS, admitInto, bucketOf, decide, emptyRing, expectedBucket, isCurrent, latestBucket, rolled, slotOf, type Ring } from '../distributed/rate-window';
import { isConditionFailure } from './errors';

export interface DynamoDbRateLimiterOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

type Item = Record<string, AttributeValue>;

const MAX_ROUNDS = 16;
const n = (v: number): AttributeValue => ({ N: String(v) });
/** Idle tenants' items expire two windows after their last admission (garbage collection only). */
const ttlOf = (nowMs: number) => n(Math.ceil((nowMs + 2 * WINDOW_MS) / 1000) + 60);

function ringOf(item: Item): Ring {
  const num = (k: string) => Number(item[k]?.N ?? 0);
  return { slots: Array.from({ length: SLOTS }, (_, i) => ({ b: num(`s${i}b`), n: num(`s${i}n`), t: num(`s${i}t`) })), n: num('wn'), t: num('wt') };
}

/**
 * Requests and tokens per minute shared by every router instance, on one DynamoDB item per tenant
 * (the bucket ring of `distributed/rate-window.ts`). The common case is one blind conditional
 * UpdateItem that adds to the current bucket while the ring is current and under both limits. When
 * a bucket has to be reused (once per 10 s per tenant) or the limit is reached, the limiter reads the
 * item and writes the rolled ring under a condition on what it read (optimistic concurrency).
 */
export class DynamoDbRateLimiter implements RateLimiter {
  private readonly client: DynamoDBClient;
  private readonly table: string;

  constructor(o: DynamoDbRateLimiterOptions) {
    this.client = o.client;
    this.table = o.tableName;
  }

  async admit(r: AdmitRequest): Promise<AdmitResult> {
    let j = bucketOf(r.nowMs);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (r.requestsPerMinute >= 1 && r.tokens <= r.tokensPerMinute && (await this.increment(r, j))) return { ok: true };
      const item = await this.read(r.tenant);
      const ring = item ? ringOf(item) : undefined;
      if (ring) j = Math.max(j, latestBucket(ring));
      const current = ring && isCurrent(ring, j) ? ring : rolled(ring ?? emptyRing(j), j);
      const decision = decide(current, j, r);
      if (!decision.ok) return decision;
      // Under the limits: if the ring was current the blind increment lost a race with a bucket
      // change or another admission; try it again. Otherwise roll and admit in one guarded write.
      if (ring && current === ring) continue;
      admitInto(current, j, r.tokens);
      if (await this.replace(r.tenant, item, current, r.nowMs)) return { ok: true };
    }
    throw new Error(`rate limiter: admission for tenant '${r.tenant}' lost ${MAX_ROUNDS} races in a row on the DynamoDB item; retry the request`);
  }

  /** +1 request and +tokens in bucket j, if every slot holds its bucket and both sums stay within the limits. */
  private async increment(r: AdmitRequest, j: number): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = { ':one': n(1), ':tok': n(r.tokens), ':maxN': n(r.requestsPerMinute - 1), ':maxT': n(r.tokensPerMinute - r.tokens), ':ttl': ttlOf(r.nowMs) };
    const cond: string[] = [];
    for (let i = 0; i < SLOTS; i++) {
      values[`:e${i}`] = n(expectedBucket(i, j));
      cond.push(`s${i}b = :e${i}`);
    }
    const s = slotOf(j);
    names['#ttl'] = 'ttl';
    try {
      await this.client.send(
        new (dynamoDbSdk().UpdateItemCommand)({
          TableName: this.table,
          Key: { pk: { S: r.tenant } },
          UpdateExpression: `SET wn = wn + :one, wt = wt + :tok, s${s}n = s${s}n + :one, s${s}t = s${s}t + :tok, #ttl = :ttl`,
          ConditionExpression: `${cond.join(' AND ')} AND wn <= :maxN AND wt <= :maxT`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Writes `ring` if the item still is what was read (its sums and bucket numbers pin every change). */
  private async replace(tenant: string, old: Item | undefined, ring: Ring, nowMs: number): Promise<boolean> {
    const item: Item = { pk: { S: tenant }, wn: n(ring.n), wt: n(ring.t), ttl: ttlOf(nowMs) };
    ring.slots.forEach((s, i) => {
      item[`s${i}b`] = n(s.b);
      item[`s${i}n`] = n(s.n);
      item[`s${i}t`] = n(s.t);
    });
    const values: Record<string, AttributeValue> = {};
    const cond: string[] = [];
    if (old) {
      for (const k of ['wn', 'wt', ...Array.from({ length: SLOTS }, (_, i) => `s${i}b`)]) {
        values[`:${k}`] = old[k] ?? n(0);
        cond.push(`${k} = :${k}`);
      }
    }
    try {
      await this.client.send(
        new (dynamoDbSdk().PutItemCommand)({
          TableName: this.table,
          Item: item,
          ConditionExpression: old ? cond.join(' AND ') : 'attribute_not_exists(pk)',
          ...(old ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  private async read(tenant: string): Promise<Item | undefined> {
    const out = await this.client.send(new (dynamoDbSdk().GetItemCommand)({ TableName: this.table, Key: { pk: { S: tenant } }, ConsistentRead: true }));
    return out.Item;
  }
}
