// Entry of the Google Cloud stop function bundle (dist/budget/gcp/index.js): a Cloud Run service
// (`node index.js`, HTTP on $PORT) that the billing budget's Pub/Sub push subscription, Cloud
// Scheduler (`{ "action": "watch" }`) and operators (`{ "action": "resume" }`) call with an identity
// token; Cloud Run's IAM lets only those callers in.
import { createServer, type Server } from 'node:http';
import { BUDGET_ENV } from '../deploy-env';
import { gcpBudgetAction } from '../events';
import { gcpFleetScaler } from '../fleets/gcp';
import { budgetDepsFromEnv, watchLine } from './from-env';
import { budgetRunner } from './run-once';

const MAX_BODY_BYTES = 64 * 1024;

const run = budgetRunner(() =>
  budgetDepsFromEnv({
    scaler: gcpFleetScaler(),
    notify: async (n) => console.log(JSON.stringify({ severity: n.action === 'stop' ? 'ALERT' : 'NOTICE', budgetNotice: n.subject, message: n.message })),
    publish: (w) => console.log(watchLine(w)),
    stores: { resolvePackage: false, carried: { stores: ['firestore'], where: 'the Google Cloud stop function bundle' } },
  }),
);

/** Answers 200 once the run is done; a failed run answers 500, so Pub/Sub and Scheduler retry it (runs are idempotent). */
export function serve(env: Readonly<Record<string, string | undefined>> = process.env): Server {
  const hardStop = env[BUDGET_ENV.hardStopPercent] ? Number(env[BUDGET_ENV.hardStopPercent]) : undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST') return reply(405, { error: 'POST a JSON body' });
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { error: 'the body is not JSON' });
      }
      run(gcpBudgetAction(body, hardStop)).then(
        (result) => reply(200, result),
        (err: Error) => {
          console.error(JSON.stringify({ severity: 'ERROR', budgetRunFailed: err.message }));
          reply(500, { error: err.message.slice(0, 500) });
        },
      );
    });
  });
  server.listen(Number(env.PORT ?? 8080));
  return server;
}

if (require.main === module) serve();
