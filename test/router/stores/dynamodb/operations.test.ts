import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbLedger } from '../../../../lib/router/stores/dynamodb/ledger';
import { LEDGER_TABLE_SCHEMA, RATE_TABLE_SCHEMA, ledgerKey } from '../../../../lib/router/stores/dynamodb/schema';
import { createTable, dynamoClient, startDynalite, type Dynalite } from '../support/dynalite';

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
  await createTable(dynamoClient(db.endpoint), 'ledger');
});
afterAll(() => db.stop());

test('the key schema the construct renders: one string partition key, TTL only on the rate table', () => {
  expect(LEDGER_TABLE_SCHEMA).toEqual({ partitionKey: { name: 'pk', type: 'S' }, ttlAttribute: undefined });
  expect(RATE_TABLE_SCHEMA).toEqual({ partitionKey: { name: 'pk', type: 'S' }, ttlAttribute: 'ttl' });
  expect(ledgerKey('team-a', '2026-12')).toBe('team-a#2026-12');
});

test('the documented month reset (docs/router-ledgers.md) zeroes the spend and keeps requests in flight', async () => {
  const client = dynamoClient(db.endpoint);
  const ledger = new DynamoDbLedger({ client, tableName: 'ledger' });
  const month = { tenant: 'team-a', month: '2026-12', limitNanoUsd: 1000 };
  const a = await ledger.reserve({ ...month, amountNanoUsd: 600 });
  const b = await ledger.reserve({ ...month, amountNanoUsd: 300 });
  if (!a.ok || !b.ok) throw new Error('expected both reservations');
  await ledger.settle(a.reservation, 600);
  // The same UpdateItem as the `aws dynamodb update-item` command in the docs.
  await client.send(
    new UpdateItemCommand({
      TableName: 'ledger',
      Key: { pk: { S: 'team-a#2026-12' } },
      UpdateExpression: 'SET spent = :zero, committed = reserved',
      ExpressionAttributeValues: { ':zero': { N: '0' } },
    }),
  );
  expect(await ledger.spent('team-a', '2026-12')).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 300 });
  expect((await ledger.reserve({ ...month, amountNanoUsd: 700 })).ok).toBe(true);
  expect((await ledger.reserve({ ...month, amountNanoUsd: 1 })).ok).toBe(false);
  await ledger.settle(b.reservation, 100);
  expect(await ledger.spent('team-a', '2026-12')).toEqual({ spentNanoUsd: 100, reservedNanoUsd: 700 });
});
