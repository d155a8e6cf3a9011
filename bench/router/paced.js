// An open-loop load generator: sends requests at an even pace over a pool of at most `connections`
// keep-alive connections and records each latency from the moment the request was issued (a wait
// for a free connection counts). autocannon's own rate limit releases each second's requests in one
// burst, which measures the burst's queue rather than the router.
//
// The first `warmupSeconds` go at the same pace over the same connections and are not recorded:
// between runs the other side sat idle, and its first requests then pay for what idleness undid
// (the router's upstream connections close after 4 s idle and are made again, its code is
// re-optimized). That start-up cost belongs to neither side's steady state.
'use strict';

const http = require('node:http');
const { percentile } = require('./stats');

/**
 * Sends `rate` requests per second for `seconds` (after `warmupSeconds`) over at most `connections`
 * sockets. Records each request's total time and its time to first byte of the body (`ttfb`: for a
 * stream, the first event). `sent` counts every request, the warm-up's included.
 */
function paced(url, { connections, seconds, rate, body, headers, warmupSeconds = 1 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const options = { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } };
  const warmup = Math.round(rate * warmupSeconds);
  const total = warmup + Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const samples = [];
  const firstBytes = [];
  let failed = 0;
  let sent = 0;
  let done = 0;
  return new Promise((resolve) => {
    const start = performance.now();
    const finish = () => {
      if (++done < total) return;
      agent.destroy();
      const sorted = Float64Array.from(samples).sort();
      const ttfb = Float64Array.from(firstBytes).sort();
      resolve({ connections, requests: samples.length, sent: total, rps: samples.length / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), ttfbP50: percentile(ttfb, 50), ttfbP99: percentile(ttfb, 99), non2xx: failed, errors: 0 });
    };
    const send = () => {
      const recorded = sent >= warmup;
      const issuedAt = performance.now();
      const req = http.request(options, (res) => {
        res.once('data', () => recorded && firstBytes.push(performance.now() - issuedAt));
        res.resume();
        res.on('end', () => {
          if (res.statusCode < 200 || res.statusCode >= 300) failed++;
          else if (recorded) samples.push(performance.now() - issuedAt);
          finish();
        });
      });
      req.on('error', () => {
        failed++;
        finish();
      });
      req.end(body);
    };
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
      for (; sent < due; sent++) send();
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    tick();
  });
}

module.exports = { paced };
