import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteProcess {
  readonly port: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/**
 * One azurite service (`table` or `blob`) in a child process, in memory, on a free port. Azurite
 * cannot report the port it bound when given 0, so the port is found first; a lost race (EADDRINUSE)
 * is retried.
 */
export async function startAzuriteService(service: 'table' | 'blob', extraArgs: readonly string[] = []): Promise<AzuriteProcess> {
  const main = require.resolve(`azurite/dist/src/${service}/main.js`);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const cwd = mkdtempSync(join(tmpdir(), `azurite-${service}-`));
    const args = [main, '--inMemoryPersistence', `--${service}Host`, '127.0.0.1', `--${service}Port`, String(port), '--disableTelemetry', '--skipApiVersionCheck', '--loose', ...extraArgs];
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const started = await new Promise<boolean>((resolve) => {
      let out = '';
      const timer = setTimeout(() => resolve(false), 20_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (/successfully (started|listens)|listening at/.test(out)) {
          clearTimeout(timer);
          resolve(true);
        } else if (/EADDRINUSE|error/i.test(out)) {
          clearTimeout(timer);
          resolve(false);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', () => resolve(false));
    });
    if (started) {
      child.stdout!.resume();
      child.stderr!.resume();
      return { port, stop: () => stop(child, cwd) };
    }
    await stop(child, cwd);
    if (attempt >= 3) throw new Error(`azurite-${service} did not start`);
  }
}

function stop(child: ChildProcess, cwd: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      rmSync(cwd, { recursive: true, force: true });
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', done);
    child.kill('SIGTERM');
  });
}
