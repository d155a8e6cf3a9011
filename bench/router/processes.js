// Child processes of the router benchmark: fork a script, wait for the { url } it reports.
'use strict';

const { fork } = require('node:child_process');

/**
 * Forks `script` and resolves with { child, url } once it sends { url }. `stdout` is where its
 * standard output goes ('ignore' or a file descriptor).
 */
function startChild(script, { env = {}, stdout = 'ignore', timeoutMs = 15_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'inherit', 'ipc'] });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${script} did not report its URL within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve({ child, url: m.url });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with code ${code} before listening`));
    });
  });
}

/** Stops a child started by startChild and waits for it to exit. */
function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

module.exports = { startChild, stopChild };
