// Entry of the Azure stop function bundle (dist/budget/azure/index.js, the `main` of the function
// app package): an HTTP function (function key) the hard-stop action group's webhook and operators
// call, and a timer that runs the watch every 5 minutes. `@azure/functions` is bundled and
// registers the functions only inside the Functions worker.
import { azureBudgetAction } from '../events';
import { azureFleetScaler } from '../fleets/azure';
import { budgetDepsFromEnv, watchLine } from './from-env';
import { budgetRunner } from './run-once';
import { inFunctionsWorker } from '../../common/azure-functions-worker';

/** Every 5 minutes (NCRONTAB, with seconds). */
export const WATCH_SCHEDULE = '0 */5 * * * *';

const run = budgetRunner(() =>
  budgetDepsFromEnv({
    scaler: azureFleetScaler(),
    notify: async (n) => console.log(JSON.stringify({ budgetNotice: n.subject, message: n.message })),
    publish: (w) => console.log(watchLine(w)),
    stores: { resolvePackage: false, carried: { stores: ['azure-tables'], where: 'the Azure stop function bundle' } },
  }),
);

interface HttpRequestLike {
  text(): Promise<string>;
}

/** The HTTP function: 200 with the run's result, 500 when it failed (the action group retries). */
export async function httpHandler(request: HttpRequestLike): Promise<{ status: number; jsonBody: unknown }> {
  let body: unknown;
  try {
    body = JSON.parse(await request.text());
  } catch {
    return { status: 400, jsonBody: { error: 'the body is not JSON' } };
  }
  try {
    return { status: 200, jsonBody: await run(azureBudgetAction(body)) };
  } catch (err) {
    return { status: 500, jsonBody: { error: (err as Error).message.slice(0, 500) } };
  }
}

export async function timerHandler(): Promise<void> {
  await run({ kind: 'watch' });
}

interface AzureFunctionsApp {
  http(name: string, options: { methods: string[]; authLevel: 'function'; handler: typeof httpHandler }): void;
  timer(name: string, options: { schedule: string; handler: typeof timerHandler }): void;
}

if (inFunctionsWorker()) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { app } = require('@azure/functions') as { app: AzureFunctionsApp };
  app.http('budget', { methods: ['POST'], authLevel: 'function', handler: httpHandler });
  app.timer('watch', { schedule: WATCH_SCHEDULE, handler: timerHandler });
}
