// The floor of the stream benchmark: the least a Node HTTP proxy can do between a client and the
// upstream (read the body, forward it over a keep-alive pool, pipe the answer back), with no
// parsing, authentication, routing or accounting. What it adds is what one more Node process and
// HTTP hop cost on this machine, which no change to the router can remove. Run as a forked child
// with BENCH_UPSTREAM=<url>; it sends { url } to its parent once listening.
'use strict';

const http = require('node:http');

const upstream = new URL(process.env.BENCH_UPSTREAM);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024, noDelay: true });

const server = http.createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const forward = http.request(
      { hostname: upstream.hostname, port: upstream.port, path: req.url, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (answer) => {
        res.writeHead(answer.statusCode, { 'content-type': answer.headers['content-type'] });
        answer.on('data', (c) => res.write(c));
        answer.on('end', () => res.end());
      },
    );
    forward.on('error', () => res.destroy());
    forward.end(body);
  });
});

server.listen(0, '127.0.0.1', () => process.send({ url: `http://127.0.0.1:${server.address().port}` }));
