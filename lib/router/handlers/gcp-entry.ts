// Entry of the Cloud Functions bundle (dist/router/gcp/index.js): deploy with entry point `handler`.
import { pipelineFromEnv } from './from-env';
import { createGcpHandler } from './gcp';

export const handler = createGcpHandler(pipelineFromEnv());
