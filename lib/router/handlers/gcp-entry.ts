// Entry of the Cloud Functions bundle (dist/router/gcp/index.js): deploy with entry point `handler`.
import { pipelineFromEnv } from './from-env';
import { createGcpHandler } from './gcp';

// resolvePackage: false — the bundle carries its adapters' packages (inlined by esbuild, or the Lambda
// runtime's AWS SDK), which Node's resolution would not find as files.
export const handler = createGcpHandler(pipelineFromEnv({ resolvePackage: false }));
