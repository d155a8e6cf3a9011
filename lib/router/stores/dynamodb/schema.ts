// No import of @aws-sdk/client-dynamodb: the AWS construct reads these constants, and a CDK app
// that deploys the router must type-check without the SDK installed.

/**
 * The two tables, as the construct must create them. Both have a single string partition key `pk`
 * and no sort key: every change touches exactly one item, so neither store needs an index or a
 * transaction (DynamoDB transactions cost twice the write units, conflict on a hot item, and
 * DynamoDB emulators such as dynalite do not implement them).
 *
 * Ledger item, one per tenant and month (pk = `<tenant>#<YYYY-MM>`):
 *   spent, reserved, committed (N)   integer nano-dollars; committed = spent + reserved, kept so that
 *                                    the budget check is one comparison in a ConditionExpression
 *                                    (conditions cannot add)
 *   tenant, month (S)                for operators reading the table
 *   o:<id> (M {a, e})                one per open reservation: amount, expiry (epoch ms)
 *   x:<id> (M {a, e})                released by the expiry rule, kept for a late settle
 *
 * Rate item, one per tenant (pk = `<tenant>`):
 *   s<i>b, s<i>n, s<i>t (N), i = 0..6 bucket number, requests, tokens of ring slot i
 *   wn, wt (N)                          sums over the slots
 *   ttl (N, epoch seconds)              two windows after the last admission: only garbage
 *                                       collection of idle tenants; correctness never waits for it
 */
export const LEDGER_TABLE_SCHEMA = {
  partitionKey: { name: 'pk', type: 'S' },
  ttlAttribute: undefined,
} as const;

export const RATE_TABLE_SCHEMA = {
  partitionKey: { name: 'pk', type: 'S' },
  ttlAttribute: 'ttl',
} as const;

/** CreateTable input (assignable to the SDK's `CreateTableCommandInput`) for tests and tools; the construct renders the same key schema. */
export interface TableInput {
  readonly TableName: string;
  readonly AttributeDefinitions: { AttributeName: string; AttributeType: 'S' }[];
  readonly KeySchema: { AttributeName: string; KeyType: 'HASH' }[];
  readonly BillingMode: 'PAY_PER_REQUEST';
}

export function createTableInput(tableName: string): TableInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

export function ledgerKey(tenant: string, month: string): string {
  return `${tenant}#${month}`;
}

export const OPEN_PREFIX = 'o:';
export const EXPIRED_PREFIX = 'x:';
