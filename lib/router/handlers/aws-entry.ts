// Entry of the AWS Lambda bundle (dist/router/aws/index.js): export `handler`.
import { embeddedMetricLogger } from '../log';
import { pipelineFromEnv } from './from-env';
import { createLambdaHandler } from './lambda';

export const handler = createLambdaHandler(pipelineFromEnv({ logger: embeddedMetricLogger() }));
