// Entry of the AWS Lambda bundle (dist/router/aws/index.js): export `handler`.
import { embeddedMetricLogger } from '../log';
import { pipelineFromEnv } from './from-env';
import { createLambdaHandler } from './lambda';

// resolvePackage: false — the bundle carries its adapters' packages (inlined by esbuild, or the Lambda
// runtime's AWS SDK, which also provides the DynamoDB and Secrets Manager clients), which Node's
// resolution would not find as files.
export const handler = createLambdaHandler(
  pipelineFromEnv({ logger: embeddedMetricLogger(), resolvePackage: false, stores: { carried: { stores: ['memory', 'dynamodb'], where: 'the AWS router bundle' } } }),
);
