// Entry of the AWS freshness probe bundle (dist/ingest/aws/index.js): a Lambda function that
// EventBridge Scheduler invokes every PROBE_INTERVAL_SECONDS with `{ "scheduledTime": "<the
// schedule's time>" }`. The AWS SDK is the Lambda runtime's (left out of the bundle).
import type { BedrockAgentClient, BedrockAgentClientConfig } from '@aws-sdk/client-bedrock-agent';
import { INGEST_ENV } from '../deploy-env';
import { AWS_PROBE_ENV, BEDROCK_AGENT_API_BASE_KEY } from './deploy-env';
import { probeFreshness, type ListIngestionJobs, type ProbeResult } from './probe';

type Env = Readonly<Record<string, string | undefined>>;
type BedrockAgentSdk = typeof import('@aws-sdk/client-bedrock-agent');

/** What the schedule sends: its own time for this run, the end of the probe's window. */
export interface ProbeEvent {
  readonly scheduledTime?: string;
}

/** The window's end: the schedule's time when it is a time, else now (an operator's invocation). */
export function windowEndOf(event: unknown, now: Date): Date {
  const t = typeof event === 'object' && event !== null ? (event as ProbeEvent).scheduledTime : undefined;
  const parsed = typeof t === 'string' ? Date.parse(t) : NaN;
  // A scheduled time ahead of now is not one this run can stand for.
  return Number.isFinite(parsed) && parsed <= now.getTime() ? new Date(parsed) : now;
}

function required(env: Env, key: string): string {
  const value = env[key];
  if (!value) throw new Error(`the freshness probe needs ${key}: the VectorStore construct sets it`);
  return value;
}

/** The SDK client of the deployment (or of INGEST_ENV.apiBases.bedrockAgent in tests) as the probe's ListIngestionJobs. */
export function sdkLister(env: Env, config: BedrockAgentClientConfig = {}): ListIngestionJobs {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@aws-sdk/client-bedrock-agent') as BedrockAgentSdk;
  const bases = env[INGEST_ENV.apiBases] ? (JSON.parse(env[INGEST_ENV.apiBases]!) as Record<string, string>) : {};
  const endpoint = bases[BEDROCK_AGENT_API_BASE_KEY];
  const client: BedrockAgentClient = new sdk.BedrockAgentClient({ ...(endpoint ? { endpoint } : {}), ...config });
  return (page) => client.send(new sdk.ListIngestionJobsCommand(page));
}

/**
 * Raw stdout, not console.log: each log event is then exactly the JSON object, whichever log format
 * the function has (Lambda's console prefixes a line in the text format and wraps it in the JSON
 * format), as Embedded Metric Format wants it.
 */
function rawStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** One probe from the deployment's environment; throws (the invocation fails) when listing fails. */
export async function probeFromEnv(event: unknown, env: Env = process.env, list: ListIngestionJobs = sdkLister(env), now: Date = new Date(), sink: (line: string) => void = rawStdout): Promise<ProbeResult> {
  return probeFreshness({
    name: required(env, INGEST_ENV.name),
    knowledgeBaseId: required(env, AWS_PROBE_ENV.knowledgeBaseId),
    dataSourceId: required(env, AWS_PROBE_ENV.dataSourceId),
    namespace: required(env, AWS_PROBE_ENV.metricsNamespace),
    dataSourceCreatedAt: env[AWS_PROBE_ENV.dataSourceCreatedAt],
    list,
    now,
    windowEnd: windowEndOf(event, now),
    sink,
  });
}

let lister: ListIngestionJobs | undefined;

export async function handler(event: unknown): Promise<ProbeResult> {
  // One client per execution environment, reused across invocations.
  lister ??= sdkLister(process.env);
  return probeFromEnv(event, process.env, lister);
}
