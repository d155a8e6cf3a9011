import { GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Ledger, LedgerBalance, Reservation, ReserveRequest, ReserveResult } from '../ledger';
import { checkLimit, checkReserveAmount, checkSettleAmount, mismatch, newReservationId } from '../distributed/amounts';
import { expiryRule, isExpired, isForgettable, type ExpiryOptions, type ExpiryRule } from '../distributed/expiry';
import { isConditionFailure } from './errors';
import { EXPIRED_PREFIX, OPEN_PREFIX, ledgerKey } from './schema';

export interface DynamoDbLedgerOptions extends ExpiryOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Epoch milliseconds; injectable for tests. @default Date.now */
  readonly clock?: () => number;
}

type Item = Record<string, AttributeValue>;
interface Entry { readonly a: number; readonly e: number }

/** Sweeps write at most this many reservations per UpdateItem: expressions are limited to 4 KB. */
const SWEEP_CHUNK = 40;
/** Rounds of "condition failed, read, retry" before giving up (each round means another writer won). */
const MAX_ROUNDS = 16;

const n = (v: number): AttributeValue => ({ N: String(v) });
const num = (item: Item | undefined, name: string): number => Number(item?.[name]?.N ?? 0);
const entry = (v: AttributeValue | undefined): Entry | undefined => (v?.M ? { a: Number(v.M.a?.N), e: Number(v.M.e?.N) } : undefined);

/**
 * The ledger on DynamoDB: one item per tenant-month holds the balance and the open reservations,
 * so every reserve, settle and release is one conditional UpdateItem on one item (1 write unit
 * while the item is under 1 KB, about 25 open reservations) and needs no read. A condition that
 * fails is the only case that reads (strongly consistent) to find out why. See docs/router-ledgers.md.
 */
export class DynamoDbLedger implements Ledger {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly clock: () => number;
  private readonly rule: ExpiryRule;

  constructor(o: DynamoDbLedgerOptions) {
    this.client = o.client;
    this.table = o.tableName;
    this.clock = o.clock ?? Date.now;
    this.rule = expiryRule(o);
  }

  async reserve(r: ReserveRequest): Promise<ReserveResult> {
    checkReserveAmount(r.amountNanoUsd);
    checkLimit(r.limitNanoUsd);
    const id = newReservationId();
    const expiresAtMs = this.clock() + this.rule.lifetimeMs;
    const reservation: Reservation = { id, tenant: r.tenant, month: r.month, amountNanoUsd: r.amountNanoUsd };
    const headroom = r.limitNanoUsd - r.amountNanoUsd;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (headroom >= 0) {
        try {
          await this.update(r.tenant, r.month, {
            UpdateExpression:
              'SET tenant = :tenant, #month = :month, spent = if_not_exists(spent, :zero), reserved = if_not_exists(reserved, :zero) + :amt, committed = if_not_exists(committed, :zero) + :amt, #rid = :entry',
            // committed <= limit - amount  <=>  spent + reserved + amount <= limit
            ConditionExpression: '(attribute_not_exists(committed) OR committed <= :headroom) AND attribute_not_exists(#rid)',
            ExpressionAttributeNames: { '#rid': OPEN_PREFIX + id, '#month': 'month' },
            ExpressionAttributeValues: {
              ':tenant': { S: r.tenant },
              ':month': { S: r.month },
              ':zero': n(0),
              ':amt': n(r.amountNanoUsd),
              ':headroom': n(headroom),
              ':entry': { M: { a: n(r.amountNanoUsd), e: n(expiresAtMs) } },
            },
          });
          return { ok: true, reservation };
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
        }
      }
      const item = await this.read(r.tenant, r.month);
      // The SDK retried a write whose first attempt had succeeded: the reservation is ours.
      if (entry(item?.[OPEN_PREFIX + id])) return { ok: true, reservation };
      // Refused, unless crashed instances' reservations are holding the budget.
      if (headroom >= 0 && (await this.sweep(r.tenant, r.month, item)) === 'swept') continue;
      return { ok: false, limitNanoUsd: r.limitNanoUsd, spentNanoUsd: num(item, 'spent'), reservedNanoUsd: num(item, 'reserved') };
    }
    throw this.contention('reserve', r.tenant);
  }

  async settle(res: Reservation, actualNanoUsd: number): Promise<void> {
    checkSettleAmount(actualNanoUsd);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      try {
        await this.update(res.tenant, res.month, {
          UpdateExpression: 'SET spent = spent + :actual, reserved = reserved - :amt, committed = committed + :delta REMOVE #rid',
          ConditionExpression: '#rid.a = :amt',
          ExpressionAttributeNames: { '#rid': OPEN_PREFIX + res.id },
          ExpressionAttributeValues: { ':actual': n(actualNanoUsd), ':amt': n(res.amountNanoUsd), ':delta': n(actualNanoUsd - res.amountNanoUsd) },
        });
        return;
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
      const item = await this.read(res.tenant, res.month);
      const open = entry(item?.[OPEN_PREFIX + res.id]);
      if (open) {
        if (open.a !== res.amountNanoUsd) throw mismatch('settle', res.id, res.tenant, res.amountNanoUsd, open.a);
        continue; // cannot happen (ids are never reused), so retry rather than guess
      }
      const expired = entry(item?.[EXPIRED_PREFIX + res.id]);
      // Settled or released already (a retry, or settle after release): charge nothing more.
      if (!expired) return;
      if (expired.a !== res.amountNanoUsd) throw mismatch('settle', res.id, res.tenant, res.amountNanoUsd, expired.a);
      // Late: the expiry rule already freed the reservation; the real cost is still charged, once.
      try {
        await this.update(res.tenant, res.month, {
          UpdateExpression: 'SET spent = spent + :actual, committed = committed + :actual REMOVE #xid',
          ConditionExpression: '#xid.a = :amt',
          ExpressionAttributeNames: { '#xid': EXPIRED_PREFIX + res.id },
          ExpressionAttributeValues: { ':actual': n(actualNanoUsd), ':amt': n(res.amountNanoUsd) },
        });
        return;
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    }
    throw this.contention('settle', res.tenant);
  }

  async release(res: Reservation): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      try {
        await this.update(res.tenant, res.month, {
          UpdateExpression: 'SET reserved = reserved - :amt, committed = committed - :amt REMOVE #rid',
          ConditionExpression: '#rid.a = :amt',
          ExpressionAttributeNames: { '#rid': OPEN_PREFIX + res.id },
          ExpressionAttributeValues: { ':amt': n(res.amountNanoUsd) },
        });
        return;
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
      const item = await this.read(res.tenant, res.month);
      const open = entry(item?.[OPEN_PREFIX + res.id]);
      if (open) {
        if (open.a !== res.amountNanoUsd) throw mismatch('release', res.id, res.tenant, res.amountNanoUsd, open.a);
        continue;
      }
      if (!item?.[EXPIRED_PREFIX + res.id]) return;
      // Freed by expiry already; forget it so that no later settle charges it.
      await this.update(res.tenant, res.month, { UpdateExpression: 'REMOVE #xid', ExpressionAttributeNames: { '#xid': EXPIRED_PREFIX + res.id } });
      return;
    }
    throw this.contention('release', res.tenant);
  }

  async spent(tenant: string, month: string): Promise<LedgerBalance> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const item = await this.read(tenant, month);
      if ((await this.sweep(tenant, month, item)) === 'swept') continue;
      return { spentNanoUsd: num(item, 'spent'), reservedNanoUsd: num(item, 'reserved') };
    }
    throw this.contention('spent', tenant);
  }

  /**
   * Releases the item's expired reservations (moving each to a tombstone) and drops old tombstones.
   * 'swept' when it changed the item, 'clean' when there was nothing to do; a concurrent settle of
   * one of them makes the condition fail, and the caller reads again.
   */
  private async sweep(tenant: string, month: string, item: Item | undefined): Promise<'swept' | 'clean'> {
    if (!item) return 'clean';
    const now = this.clock();
    const expired: [string, Entry][] = [];
    const forget: string[] = [];
    for (const [name, value] of Object.entries(item)) {
      const e = entry(value);
      if (!e) continue;
      if (name.startsWith(OPEN_PREFIX) && isExpired(e.e, now)) expired.push([name.slice(OPEN_PREFIX.length), e]);
      else if (name.startsWith(EXPIRED_PREFIX) && isForgettable(e.e, now, this.rule)) forget.push(name);
    }
    if (expired.length === 0 && forget.length === 0) return 'clean';
    for (let i = 0; i < Math.max(expired.length, forget.length); i += SWEEP_CHUNK) {
      const chunk = expired.slice(i, i + SWEEP_CHUNK);
      const drop = forget.slice(i, i + SWEEP_CHUNK);
      const names: Record<string, string> = {};
      const values: Record<string, AttributeValue> = {};
      const set: string[] = [];
      const remove: string[] = [];
      const cond: string[] = [];
      let sum = 0;
      chunk.forEach(([id, e], k) => {
        names[`#o${k}`] = OPEN_PREFIX + id;
        names[`#x${k}`] = EXPIRED_PREFIX + id;
        values[`:a${k}`] = n(e.a);
        values[`:v${k}`] = { M: { a: n(e.a), e: n(e.e) } };
        set.push(`#x${k} = :v${k}`);
        remove.push(`#o${k}`);
        cond.push(`#o${k}.a = :a${k}`);
        sum += e.a;
      });
      drop.forEach((name, k) => {
        names[`#d${k}`] = name;
        remove.push(`#d${k}`);
      });
      if (chunk.length > 0) {
        values[':sum'] = n(sum);
        set.push('reserved = reserved - :sum', 'committed = committed - :sum');
      }
      try {
        await this.update(tenant, month, {
          UpdateExpression: (set.length ? `SET ${set.join(', ')} ` : '') + `REMOVE ${remove.join(', ')}`,
          ...(cond.length ? { ConditionExpression: cond.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
        });
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    }
    return 'swept';
  }

  private async update(tenant: string, month: string, input: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], 'TableName' | 'Key'>): Promise<void> {
    await this.client.send(new UpdateItemCommand({ TableName: this.table, Key: { pk: { S: ledgerKey(tenant, month) } }, ...input }));
  }

  private async read(tenant: string, month: string): Promise<Item | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: ledgerKey(tenant, month) } }, ConsistentRead: true }));
    return out.Item;
  }

  private contention(operation: string, tenant: string): Error {
    return new Error(`ledger: ${operation} for tenant '${tenant}' lost ${MAX_ROUNDS} races in a row on the DynamoDB item; retry the request`);
  }
}
