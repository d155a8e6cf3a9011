// CPU accounting of the router benchmark, from Linux's /proc (NaN elsewhere). On a shared machine
// a process's CPU time per request is far steadier than its latency: it does not count the time
// the process waited for a core, which the hypervisor and the other processes decide.
'use strict';

const { readFileSync } = require('node:fs');

/** USER_HZ: the unit of /proc's CPU times, 100 on every Linux architecture Node supports. */
const TICK_MS = 1000 / 100;

/** User plus system CPU time of process `pid` so far, in ms (every thread: GC and libuv's pool included). */
function processCpuMs(pid) {
  try {
    // The command name may hold spaces or parentheses: the fields start after its last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime and stime: fields 14 and 15 of stat(5)
  } catch {
    return NaN;
  }
}

/**
 * CPU time this (virtual) machine's cores were runnable but given to other guests, in ms since
 * boot (the `steal` column of /proc/stat). Printed with the fixed-rate runs: stolen time shows up
 * as router latency no change to the router can remove.
 */
function cpuSteal() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    return Number(fields[8]) * TICK_MS;
  } catch {
    return NaN;
  }
}

/** Runs `fn` and returns its result with `cpuMsPerRequest`: `pid`'s CPU time over `requestsOf(result)`. */
async function withCpuPerRequest(pid, fn, requestsOf) {
  const before = processCpuMs(pid);
  const result = await fn();
  return { ...result, cpuMsPerRequest: (processCpuMs(pid) - before) / requestsOf(result) };
}

module.exports = { processCpuMs, cpuSteal, withCpuPerRequest };
