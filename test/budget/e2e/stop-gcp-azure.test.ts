// The stop function's runtime on Google Cloud and Azure, as its entries wire it (the trigger's
// payload, the cloud's fleet adapter, the router's store from the environment), against the
// Firestore fake and azurite (the routers' ledgers) and local Compute Engine and ARM servers:
// stop, stop again, resume restores the exact capacities, and the routers' record says so.
import { AzureNamedKeyCredential } from '@azure/data-tables';
import { azureBudgetAction, gcpBudgetAction } from '../../../lib/budget/events';
import { azureFleetScaler, gcpFleetScaler } from '../../../lib/budget/fleets';
import { budgetDepsFromEnv } from '../../../lib/budget/handlers/from-env';
import { runBudgetAction } from '../../../lib/budget/run';
import { AzureTablesSpendStop } from '../../../lib/router/stores/azure-tables/spend-stop';
import { FirestoreSpendStop } from '../../../lib/router/stores/firestore/spend-stop';
import { createAzureTable, startAzurite, tableClient, type Azurite } from '../../router/stores/support/azurite';
import { startFirestoreFake, type FirestoreFake } from '../../router/stores/support/firestore-fake';
import { AZURE_TOKEN, FakeArm } from '../fleets/support/azure-arm';
import { FakeCompute, GCP_TOKEN } from '../fleets/support/gcp-compute';

const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const budgetEnv = (fleets: unknown) => ({
  AI_STACK_BUDGET_FLEETS: JSON.stringify(fleets),
  AI_STACK_BUDGET_TENANTS: JSON.stringify(['team-a']),
  AI_STACK_BUDGET_MONTHLY_LIMIT_USD: '500',
  AI_STACK_BUDGET_HARD_STOP_PERCENT: '100',
});

describe('Google Cloud: Pub/Sub budget push → Firestore record, MIG and autoscaler', () => {
  let fs: FirestoreFake;
  let compute: FakeCompute;
  beforeAll(async () => {
    [fs, compute] = await Promise.all([startFirestoreFake(), FakeCompute.start()]);
  });
  afterAll(async () => {
    await Promise.all([fs?.stop(), compute?.close()]);
  });

  test('stop, stop again, resume', async () => {
    const region = 'projects/acme/regions/us-central1';
    const group = compute.addGroup(region, 'support-ai-llama-spot', 3, { name: 'support-ai-llama-spot', policy: { mode: 'ON', minNumReplicas: 1, maxNumReplicas: 6 } });
    const database = 'projects/acme/databases/support-ai-router';
    const getAccessToken = async () => 'fs-token';
    const deps = budgetDepsFromEnv({
      env: { ...budgetEnv([{ cloud: 'gcp', id: group }]), AI_STACK_ROUTER_STORE: 'firestore', AI_STACK_FIRESTORE_DATABASE: database },
      scaler: gcpFleetScaler({ baseUrl: compute.baseUrl, accessToken: async () => GCP_TOKEN, pollIntervalMs: 1 }),
      stores: { firestore: { baseUrl: fs.baseUrl, getAccessToken } },
    });
    const push = (costAmount: number) => ({ message: { data: Buffer.from(JSON.stringify({ budgetDisplayName: 'support-ai', costAmount, budgetAmount: 500, currencyCode: 'USD', costIntervalStart: '2026-12-01T08:00:00Z', budgetAmountType: 'SPECIFIED_AMOUNT' })).toString('base64') } });
    const record = new FirestoreSpendStop({ baseUrl: fs.baseUrl, getAccessToken, database });

    expect(await runBudgetAction(gcpBudgetAction(push(320), 100), deps)).toMatchObject({ kind: 'ignore' });
    expect(compute.group(region, 'support-ai-llama-spot').targetSize).toBe(3);

    expect(await runBudgetAction(gcpBudgetAction(push(512.5), 100), deps)).toMatchObject({ kind: 'stop', report: { already: false, changed: [group], failures: [] } });
    expect(compute.group(region, 'support-ai-llama-spot').targetSize).toBe(0);
    expect(compute.policy(region, 'support-ai-llama-spot').mode).toBe('OFF');
    expect((await record.read())!.state).toMatchObject({ active: true, reason: expect.stringContaining('billed spend 512.5 USD is 102.5%') });

    expect(await runBudgetAction(gcpBudgetAction(push(530), 100), deps)).toMatchObject({ kind: 'stop', report: { already: true, replaced: [{ min: 1, max: 6, desired: 3 }] } });
    expect(await runBudgetAction(gcpBudgetAction({ action: 'resume' }, 100), deps)).toMatchObject({ kind: 'resume', report: { already: false, failures: [] } });
    expect(compute.group(region, 'support-ai-llama-spot').targetSize).toBe(3);
    expect(compute.policy(region, 'support-ai-llama-spot')).toMatchObject({ mode: 'ON', minNumReplicas: 1, maxNumReplicas: 6 });
    expect((await record.read())!.state.active).toBe(false);
  });
});

describe('Azure: action group alert → Table storage record, scale set and autoscale setting', () => {
  let az: Azurite;
  let arm: FakeArm;
  beforeAll(async () => {
    [az, arm] = await Promise.all([startAzurite(), FakeArm.start()]);
    await createAzureTable(az.connectionString, 'routerledger');
  }, 30_000);
  afterAll(async () => {
    await Promise.all([az?.stop(), arm?.close()]);
  });

  test('stop, stop again, resume', async () => {
    const vmss = arm.addScaleSet('rg-support-ai', 'vmss-llama-spot', 2);
    const setting = arm.addAutoscale('rg-support-ai', 'autoscale-llama', vmss, [{ name: 'default', capacity: { minimum: '1', maximum: '4', default: '2' }, rules: [] }]);
    const endpoint = /TableEndpoint=([^;]+);/.exec(az.connectionString)![1];
    const deps = budgetDepsFromEnv({
      env: { ...budgetEnv([{ cloud: 'azure', id: vmss }]), AI_STACK_ROUTER_STORE: 'azure-tables', AI_STACK_TABLES_ENDPOINT: endpoint, AI_STACK_LEDGER_TABLE: 'routerledger', AI_STACK_RATE_TABLE: 'routerledger' },
      scaler: azureFleetScaler({ baseUrl: arm.server.url, accessToken: async () => AZURE_TOKEN, pollIntervalMs: 1 }),
      stores: { azureTablesCredential: new AzureNamedKeyCredential('devstoreaccount1', AZURITE_KEY) },
    });
    const alert = (monitorCondition: string) => ({ schemaId: 'azureMonitorCommonAlertSchema', data: { essentials: { alertRule: 'alert-support-ai-budget-stop', monitorCondition, signalType: 'Log' }, alertContext: {} } });
    const record = new AzureTablesSpendStop({ client: tableClient(az.connectionString, 'routerledger') });

    expect(await runBudgetAction(azureBudgetAction(alert('Resolved')), deps)).toMatchObject({ kind: 'ignore' });
    expect(await runBudgetAction(azureBudgetAction(alert('Fired')), deps)).toMatchObject({ kind: 'stop', report: { already: false, failures: [] } });
    expect(arm.capacity(vmss)).toBe(0);
    expect(arm.setting(setting).properties.enabled).toBe(false);
    expect((await record.read())!.state).toMatchObject({ active: true, reason: 'Azure Monitor: alert-support-ai-budget-stop fired' });

    expect(await runBudgetAction(azureBudgetAction(alert('Fired')), deps)).toMatchObject({ kind: 'stop', report: { already: true, replaced: [{ desired: 2 }] } });
    expect(await runBudgetAction(azureBudgetAction({ action: 'resume' }), deps)).toMatchObject({ kind: 'resume', report: { already: false, failures: [] } });
    expect(arm.capacity(vmss)).toBe(2);
    expect(arm.setting(setting).properties.enabled).toBe(true);
    expect((await record.read())!.state.active).toBe(false);
  }, 30_000);
});
