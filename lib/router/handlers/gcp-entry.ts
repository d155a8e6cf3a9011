// Entry of the Google Cloud bundle (dist/router/gcp/index.js). On Cloud Run (`node index.js`) it
// serves HTTP on $PORT and drains on SIGTERM; loaded by Cloud Functions (functions-framework) it is
// the entry point `handler`.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipelineFromEnv } from './from-env';
import { createGcpHandler } from './gcp';
import { createNodeServer } from './node-http';

// resolvePackage: false — the bundle carries its adapters' packages (inlined by esbuild), which
// Node's resolution would not find as files.
const pipeline = pipelineFromEnv({ resolvePackage: false, stores: { carried: { stores: ['memory', 'firestore'], where: 'the Google Cloud router bundle' } } });

export const handler = createGcpHandler(pipeline);

/** Cloud Run sends SIGKILL 10 s after SIGTERM: requests in flight get 9 s to finish. */
export const DRAIN_MS = 9_000;

/**
 * The Cloud Run server: HTTP on `PORT` (default 8080), all interfaces. The pipeline is built now, so
 * a configuration problem is logged at start (and every request is answered 500 naming it). On
 * SIGTERM it stops accepting connections, closes idle keep-alive connections as they become idle,
 * lets requests and streams in flight finish for up to `DRAIN_MS`, then exits 0.
 */
export function serve(env: Readonly<Record<string, string | undefined>> = process.env): Server {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a TCP port (got '${env.PORT}')`);
  const server = createNodeServer(pipeline);
  server.listen(port, () => console.error(`ai-stack router listening on port ${(server.address() as AddressInfo).port}`));
  process.once('SIGTERM', () => {
    console.error(`SIGTERM: draining requests in flight (up to ${DRAIN_MS / 1000} s)`);
    const exit = () => process.exit(0);
    server.close(exit);
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    idle.unref();
    setTimeout(() => {
      server.closeAllConnections();
      exit();
    }, DRAIN_MS).unref();
  });
  return server;
}

if (require.main === module) serve();
