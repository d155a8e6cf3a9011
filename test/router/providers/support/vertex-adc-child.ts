/**
 * Runs a Vertex adapter with Application Default Credentials in a plain Node process, for
 * vertex.test.ts: google-auth-library's HTTP client (gaxios) loads node-fetch with a dynamic import(),
 * which jest's VM sandbox refuses, so the ADC path is exercised where it runs in production: real Node.
 * Reads VERTEX_BASE_URL (and GCE_METADATA_HOST, read by google-auth-library); prints the results as JSON.
 */
import { VertexAdapter } from '../../../../lib/router/providers/vertex';

async function main(): Promise<void> {
  const adapter = new VertexAdapter({
    id: 'flash',
    provider: 'vertex',
    providerModelId: 'gemini-2.5-flash',
    region: 'europe-west4',
    baseUrl: process.env.VERTEX_BASE_URL,
    inputPer1kUsd: 0.0003,
    outputPer1kUsd: 0.0025,
    contextWindowTokens: 1048576,
  });
  const request = { messages: [{ role: 'user' as const, content: 'How far is the moon?' }], maxTokens: 64 };
  const results = [];
  for (let i = 0; i < 2; i++) results.push(await adapter.complete(request, AbortSignal.timeout(10000)));
  process.stdout.write(JSON.stringify(results));
}

main().catch((error: Error) => {
  process.stderr.write(`${error.name}: ${error.message}`);
  process.exitCode = 1;
});
