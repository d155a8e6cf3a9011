/**
 * Whether this process is the Azure Functions Node.js worker, which injects `@azure/functions-core`.
 * The Azure bundles (router, budget stop, ingestion) register their functions only there; elsewhere
 * (tests, a plain `require`) they just export their handlers.
 */
export function inFunctionsWorker(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@azure/functions-core');
    return true;
  } catch {
    return false;
  }
}
