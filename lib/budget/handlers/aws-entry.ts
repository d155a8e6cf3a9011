// Entry of the AWS stop function bundle (dist/budget/aws/index.js): a Lambda function invoked by
// the hard-stop SNS topic (the AWS Budgets notification and the router-spend alarm), by EventBridge
// Scheduler with `{ "action": "watch" }`, and by an operator with `{ "action": "resume" }`.
import { BUDGET_ENV } from '../deploy-env';
import { awsBudgetAction } from '../events';
import { awsFleetScaler } from '../fleets/aws';
import type { SpendStopNotice } from '../stop';
import { budgetDepsFromEnv, watchLine } from './from-env';
import { budgetRunner } from './run-once';

type SnsSdk = typeof import('@aws-sdk/client-sns');

/** Publishes to the stack's budget topic (its subscribers are the design's emails). */
function snsNotifier(topicArn: string | undefined): ((n: SpendStopNotice) => Promise<void>) | undefined {
  if (!topicArn) return undefined;
  let client: InstanceType<SnsSdk['SNSClient']> | undefined;
  return async (n) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require('@aws-sdk/client-sns') as SnsSdk;
    client ??= new sdk.SNSClient({});
    // SNS subjects are at most 100 printable ASCII characters.
    await client.send(new sdk.PublishCommand({ TopicArn: topicArn, Subject: n.subject.slice(0, 100), Message: n.message }));
  };
}

const run = budgetRunner(() =>
  budgetDepsFromEnv({
    scaler: awsFleetScaler(),
    notify: snsNotifier(process.env[BUDGET_ENV.notifyTopicArn]),
    publish: (w) => console.log(watchLine(w, process.env[BUDGET_ENV.metricsNamespace])),
    stores: { resolvePackage: false, carried: { stores: ['dynamodb'], where: 'the AWS stop function bundle' } },
  }),
);

export async function handler(event: unknown): Promise<unknown> {
  return run(awsBudgetAction(event));
}
