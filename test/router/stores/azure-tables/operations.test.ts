import { AzureTablesLedger } from '../../../../lib/router/stores/azure-tables/ledger';
import { createAzureTable, startAzurite, tableClient, type Azurite } from '../support/azurite';

let az: Azurite;
beforeAll(async () => {
  az = await startAzurite();
  await createAzureTable(az.connectionString, 'ledger');
}, 30_000);
afterAll(() => az.stop());

test('the documented month reset (a Merge of spent with If-Match) zeroes the spend and keeps requests in flight', async () => {
  const client = tableClient(az.connectionString, 'ledger');
  const ledger = new AzureTablesLedger({ client });
  const month = { tenant: 'team-a', month: '2026-12', limitNanoUsd: 1000 };
  const a = await ledger.reserve({ ...month, amountNanoUsd: 600 });
  const b = await ledger.reserve({ ...month, amountNanoUsd: 300 });
  if (!a.ok || !b.ok) throw new Error('expected both reservations');
  await ledger.settle(a.reservation, 600);
  // What `az storage entity merge ... spent=0 spent@odata.type=Edm.Int64 --if-match <etag>` sends.
  const entity = await client.getEntity('team-a', '2026-12');
  await client.updateEntity({ partitionKey: 'team-a', rowKey: '2026-12', spent: BigInt(0) }, 'Merge', { etag: entity.etag });
  expect(await ledger.spent('team-a', '2026-12')).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 300 });
  expect((await ledger.reserve({ ...month, amountNanoUsd: 700 })).ok).toBe(true);
  await ledger.settle(b.reservation, 100);
  expect(await ledger.spent('team-a', '2026-12')).toEqual({ spentNanoUsd: 100, reservedNanoUsd: 700 });
  // A stale ETag is refused: the reset cannot overwrite a request that settled in between.
  await expect(client.updateEntity({ partitionKey: 'team-a', rowKey: '2026-12', spent: BigInt(0) }, 'Merge', { etag: entity.etag })).rejects.toMatchObject({ statusCode: 412 });
});
