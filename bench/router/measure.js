// One load run with autocannon, keeping every response time (autocannon's own histogram has 1 ms
// resolution, too coarse for sub-millisecond router overhead).
'use strict';

const autocannon = require('autocannon');
const { percentile } = require('./stats');

/**
 * Runs `connections` keep-alive connections against url for `seconds`, each sending its next
 * request as soon as the last is answered (closed loop: throughput; latency includes queueing).
 * Returns rps, p50 and p99 (ms).
 */
function load(url, { connections, seconds, body, headers }) {
  return new Promise((resolve, reject) => {
    const samples = [];
    let non2xx = 0;
    const instance = autocannon(
      { url, method: 'POST', connections, duration: seconds, body, headers: { 'content-type': 'application/json', ...headers } },
      (err, result) => {
        if (err) return reject(err);
        const sorted = Float64Array.from(samples).sort();
        resolve({
          connections,
          requests: samples.length,
          rps: samples.length / seconds,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          non2xx,
          errors: result.errors + result.timeouts,
        });
      },
    );
    instance.on('response', (_client, status, _bytes, responseTimeMs) => {
      if (status >= 200 && status < 300) samples.push(responseTimeMs);
      else non2xx++;
    });
  });
}

/** The router's own time per plain (not streamed) request, from the overheadMs of its JSON log lines. */
function overheadFromLog(text) {
  const values = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const r = JSON.parse(line);
    if (r.status === 200 && !r.stream) values.push(r.overheadMs);
  }
  const sorted = Float64Array.from(values).sort();
  return { count: values.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

module.exports = { load, overheadFromLog };
