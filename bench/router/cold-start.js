// Cold start of one router bundle in a fresh process: time to `require` it, then to serve its first
// chat request (engine and adapter built on that request), through the handler signature of its
// cloud. Usage: node cold-start.js <aws|gcp|azure> <bundle.js> (AI_STACK_ROUTER_CONFIG and
// BENCH_KEY set). Prints one JSON line.
'use strict';

const { performance } = require('node:perf_hooks');

const bootMs = performance.now(); // Node start-up until this script runs
const [cloud, bundlePath] = process.argv.slice(2);
const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 16 });
const authorization = `Bearer ${process.env.BENCH_KEY}`;

/** Calls the bundle's handler the way its platform does; resolves with the HTTP status. */
const invoke = {
  async aws(handler) {
    const event = { rawPath: '/v1/chat/completions', rawQueryString: '', headers: { authorization, 'content-type': 'application/json' }, body, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/v1/chat/completions' } } };
    return (await handler(event)).statusCode;
  },
  async gcp(handler) {
    const { EventEmitter } = require('node:events');
    const res = Object.assign(new EventEmitter(), { status: 0, writeHead(s) { this.status = s; }, write: () => true, end() {} });
    await handler({ method: 'POST', path: '/v1/chat/completions', headers: { authorization, 'content-type': 'application/json' }, rawBody: Buffer.from(body), body: JSON.parse(body) }, res);
    return res.status;
  },
  async azure(handler) {
    const request = { method: 'POST', url: 'https://bench.azurewebsites.net/api/v1/chat/completions', headers: new Headers({ authorization, 'content-type': 'application/json' }), text: async () => body };
    return (await handler(request, { invocationId: 'cold-start' })).status;
  },
};

async function main() {
  const t0 = performance.now();
  const { handler } = require(bundlePath);
  const requireMs = performance.now() - t0;
  const t1 = performance.now();
  const status = await invoke[cloud](handler);
  const firstRequestMs = performance.now() - t1;
  process.stdout.write(`${JSON.stringify({ cloud, bootMs, requireMs, firstRequestMs, totalMs: performance.now(), status })}\n`);
}

main().catch((err) => {
  console.error(`cold-start ${cloud}: ${err.stack}`);
  process.exit(1);
});
