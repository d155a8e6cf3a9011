// Entry of the Azure Functions bundle (dist/router/azure/index.js, the `main` of the function app
// folder dist/router/azure/ and of dist/router/azure.zip). `@azure/functions` (the v4 programming
// model) is bundled; it registers the HTTP function only inside the Functions worker, which
// provides `@azure/functions-core`. Elsewhere the module just exports `handler`.
import { createAzureHandler } from './azure';
import { pipelineFromEnv } from './from-env';
import { inFunctionsWorker } from '../../common/azure-functions-worker';

// resolvePackage: false — the bundle carries its adapters' packages (inlined by esbuild), which
// Node's resolution would not find as files.
export const handler = createAzureHandler(pipelineFromEnv({ resolvePackage: false, stores: { carried: { stores: ['memory', 'azure-tables'], where: 'the Azure router bundle' } } }));

interface AzureFunctionsApp {
  setup(options: { enableHttpStream: boolean }): void;
  http(name: string, options: { methods: string[]; authLevel: 'anonymous'; route: string; handler: typeof handler }): void;
}

if (inFunctionsWorker()) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { app } = require('@azure/functions') as { app: AzureFunctionsApp };
  // Streaming SSE needs HTTP streams; auth is the router's own (tenant keys), hence anonymous.
  app.setup({ enableHttpStream: true });
  app.http('router', { methods: ['GET', 'POST'], authLevel: 'anonymous', route: '{*path}', handler });
}
