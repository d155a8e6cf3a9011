// The router as a plain Node HTTP server, for the benchmark: config from AI_STACK_ROUTER_CONFIG,
// request logs (one JSON line each) on stdout. bench/router.js bundles this with esbuild and runs it
// as a forked child, which reports { url } once listening.
import { pipelineFromEnv } from '../../lib/router/handlers/from-env';
import { listen } from '../../lib/router/handlers/node-http';

listen(pipelineFromEnv(), { port: 0 }).then(
  (server) => {
    if (process.send) process.send({ url: server.url });
    else console.error(server.url);
  },
  (err: Error) => {
    console.error(`router-server: ${err.message}`);
    process.exit(1);
  },
);
