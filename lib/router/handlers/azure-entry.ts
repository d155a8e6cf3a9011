// Entry of the Azure Functions bundle (dist/router/azure/index.js). The v4 programming model
// registers functions through `@azure/functions`, which the function app's package provides (it is
// not bundled, so the router has no dependency on it); without it the module still exports `handler`.
import { createAzureHandler } from './azure';
import { pipelineFromEnv } from './from-env';

// resolvePackage: false — the bundle carries its adapters' packages (inlined by esbuild, or the Lambda
// runtime's AWS SDK), which Node's resolution would not find as files.
export const handler = createAzureHandler(pipelineFromEnv({ resolvePackage: false }));

interface AzureFunctionsApp {
  setup(options: { enableHttpStream: boolean }): void;
  http(name: string, options: { methods: string[]; authLevel: 'anonymous'; route: string; handler: typeof handler }): void;
}

function azureFunctionsApp(): AzureFunctionsApp | undefined {
  try {
    return (require('@azure/functions') as { app: AzureFunctionsApp }).app;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

const app = azureFunctionsApp();
if (app) {
  // Streaming SSE needs HTTP streams; auth is the router's own (tenant keys), hence anonymous.
  app.setup({ enableHttpStream: true });
  app.http('router', { methods: ['GET', 'POST'], authLevel: 'anonymous', route: '{*path}', handler });
}
