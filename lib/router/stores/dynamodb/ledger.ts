import type { AttributeValue, DynamoDBClient, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { dynamoDbSdk } from './sdk';
import type { Ledger, LedgerBalance, Reservation, ReserveRequest, ReserveResult } from '../ledger';
import { checkLimit, checkReserveAmount, checkSettleAmount, mismatch, newReservationId } from '../distributed/amounts';
import { expiryRule, isExpired, isForgettable, type ExpiryOptions, type ExpiryRule } from '../distributed/expiry';
import { GroupRead, KeyedGate } from './coalesce';
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
const MAX_REMEMBERED = 10_000;
const WRITES_IN_FLIGHT = 8;

const n = (v: number): AttributeValue => ({ N: String(v) });
const num = (item: Item | undefined, name: string): number => Number(item?.[name]?.N ?? 0);
const entry = (v: AttributeValue | undefined): Entry | undefined => (v?.M ? { a: Number(v.M.a?.N), e: Number(v.M.e?.N) } : undefined);

/**
 * The ledger on DynamoDB: one item per tenant-month holds the balance and the open reservations,
 * so every reserve, settle and release is one conditional UpdateItem on one item (1 write unit
 * while the item is under 1 KB, about 20 open reservations) and needs no read. A condition that
 * fails is the only case that reads (strongly consistent) to find out why. See docs/router-ledgers.md.
 */
export class DynamoDbLedger implements Ledger {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly clock: () => number;
  private readonly rule: ExpiryRule;
  /** Tenant-months this instance last saw at their budget (a hint for the order of calls only). */
  private readonly full = new Set<string>();
  /** Reserve writes in flight per tenant-month in this process; the rest wait, then see `full`. */
  private readonly gate = new KeyedGate(WRITES_IN_FLIGHT);
  /** Refusal reads of one tenant-month shared by concurrent callers. */
  private readonly reads: GroupRead<Item | undefined>;
  private readonly sweeps = new Map<string, Promise<'swept' | 'clean'>>();
  /** Reserve writes completed per tenant-month by this process: tells a reader its read is stale. */
  private readonly epochs = new Map<string, number>();

  constructor(o: DynamoDbLedgerOptions) {
    this.client = o.client;
    this.table = o.tableName;
    this.clock = o.clock ?? Date.now;
    this.rule = expiryRule(o);
    this.reads = new GroupRead((pk) => this.readKey(pk));
  }

  async reserve(r: ReserveRequest): Promise<ReserveResult> {
    checkReserveAmount(r.amountNanoUsd);
    checkLimit(r.limitNanoUsd);
    const id = newReservationId();
    const expiresAtMs = this.clock() + this.rule.lifetimeMs;
    const reservation: Reservation = { id, tenant: r.tenant, month: r.month, amountNanoUsd: r.amountNanoUsd };
    const headroom = r.limitNanoUsd - r.amountNanoUsd;
    const key = ledgerKey(r.tenant, r.month);
    let last: Item | undefined;
    let seen: number | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (headroom < 0) {
        last = await this.reads.get(key);
        break;
      }
      // Once this process has seen the tenant-month at its budget, a reserve reads first: a refusal
      // then costs one (shared) read instead of a failed conditional write and a read.
      const outcome = await this.gate.run(key, async () => {
        if (round === 0 && this.full.has(key)) return 'skipped';
        // Another reserve of this process wrote since this one's read began: the read is stale
        // (a herd that saw the same room would otherwise all write, and all but one fail).
        if (seen !== undefined && (this.epochs.get(key) ?? 0) !== seen) return 'skipped';
        const written = await this.tryReserve(r, id, expiresAtMs, headroom);
        this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1);
        return written;
      });
      if (typeof outcome === 'number') {
        this.full.delete(key);
        return { ok: true, reservation, committedNanoUsd: outcome };
      }
      seen = this.epochs.get(key) ?? 0;
      const item = await this.reads.get(key);
      // The SDK retried a write whose first attempt had succeeded: the reservation is ours.
      if (entry(item?.[OPEN_PREFIX + id])) return { ok: true, reservation, committedNanoUsd: num(item, 'committed') };
      last = item;
      // Crashed instances' reservations may be what holds the budget: free them and try again.
      if ((await this.sweepOnce(key, r.tenant, r.month, item)) === 'swept' || num(item, 'committed') <= headroom) continue;
      break;
    }
    // A strongly consistent read that started after this call saw no room, so the refusal is as
    // exact as a failed condition. After MAX_ROUNDS rounds of lost races the request is refused
    // too: never an overspend, at worst a refusal while others took the room an instant earlier.
    if (this.full.size >= MAX_REMEMBERED) this.full.clear();
    if (this.epochs.size >= MAX_REMEMBERED) this.epochs.clear();
    this.full.add(key);
    return { ok: false, limitNanoUsd: r.limitNanoUsd, spentNanoUsd: num(last, 'spent'), reservedNanoUsd: num(last, 'reserved') };
  }

  /**
   * The one conditional write of a reserve: the item's `committed` after it (the write returns it:
   * no extra read), or 'failed' when the condition did not hold.
   */
  private async tryReserve(r: ReserveRequest, id: string, expiresAtMs: number, headroom: number): Promise<number | 'failed'> {
    try {
      const updated = await this.update(r.tenant, r.month, {
        ReturnValues: 'UPDATED_NEW',
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
      return num(updated, 'committed');
    } catch (err) {
      if (isConditionFailure(err)) return 'failed';
      throw err;
    }
  }

  /** Callers that read the same item sweep it once. */
  private sweepOnce(key: string, tenant: string, month: string, item: Item | undefined): Promise<'swept' | 'clean'> {
    const running = this.sweeps.get(key);
    if (running) return running.then(() => 'swept');
    const p = this.sweep(tenant, month, item).finally(() => this.sweeps.delete(key));
    this.sweeps.set(key, p);
    return p;
  }

  async settle(res: Reservation, actualNanoUsd: number): Promise<void> {
    checkSettleAmount(actualNanoUsd);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (await this.conditionalUpdate(res.tenant, res.month, {
        UpdateExpression: 'SET spent = spent + :actual, reserved = reserved - :amt, committed = committed + :delta REMOVE #rid',
        ConditionExpression: '#rid.a = :amt',
        ExpressionAttributeNames: { '#rid': OPEN_PREFIX + res.id },
        ExpressionAttributeValues: { ':actual': n(actualNanoUsd), ':amt': n(res.amountNanoUsd), ':delta': n(actualNanoUsd - res.amountNanoUsd) },
      })) return;
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
      if (await this.conditionalUpdate(res.tenant, res.month, {
        UpdateExpression: 'SET spent = spent + :actual, committed = committed + :actual REMOVE #xid',
        ConditionExpression: '#xid.a = :amt',
        ExpressionAttributeNames: { '#xid': EXPIRED_PREFIX + res.id },
        ExpressionAttributeValues: { ':actual': n(actualNanoUsd), ':amt': n(res.amountNanoUsd) },
      })) return;
    }
    throw this.contention('settle', res.tenant);
  }

  async release(res: Reservation): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (await this.conditionalUpdate(res.tenant, res.month, {
        UpdateExpression: 'SET reserved = reserved - :amt, committed = committed - :amt REMOVE #rid',
        ConditionExpression: '#rid.a = :amt',
        ExpressionAttributeNames: { '#rid': OPEN_PREFIX + res.id },
        ExpressionAttributeValues: { ':amt': n(res.amountNanoUsd) },
      })) return;
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
      const item = await this.reads.get(ledgerKey(tenant, month));
      if ((await this.sweepOnce(ledgerKey(tenant, month), tenant, month, item)) === 'swept') continue;
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

  /** `update`, reporting a failed condition as false instead of throwing it (the caller then reads why). */
  private async conditionalUpdate(tenant: string, month: string, input: Parameters<DynamoDbLedger['update']>[2]): Promise<boolean> {
    try {
      await this.update(tenant, month, input);
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  private async update(tenant: string, month: string, input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>): Promise<Item | undefined> {
    const out = await this.client.send(new (dynamoDbSdk().UpdateItemCommand)({ TableName: this.table, Key: { pk: { S: ledgerKey(tenant, month) } }, ...input }));
    return out.Attributes;
  }

  private read(tenant: string, month: string): Promise<Item | undefined> {
    return this.readKey(ledgerKey(tenant, month));
  }

  private async readKey(pk: string): Promise<Item | undefined> {
    const out = await this.client.send(new (dynamoDbSdk().GetItemCommand)({ TableName: this.table, Key: { pk: { S: pk } }, ConsistentRead: true }));
    return out.Item;
  }

  private contention(operation: string, tenant: string): Error {
    return new Error(`ledger: ${operation} for tenant '${tenant}' lost ${MAX_ROUNDS} races in a row on the DynamoDB item; retry the request`);
  }
}
