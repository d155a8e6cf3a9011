import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient, TableServiceClient } from '@azure/data-tables';

/** Azurite's well-known development account (public, documented by Microsoft). */
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  readonly connectionString: string;
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
 * azurite-table in a child process, in memory, on a free port. Azurite cannot report the port it
 * bound when given 0, so the port is found first; a lost race (EADDRINUSE) is retried.
 */
export async function startAzurite(): Promise<Azurite> {
  const main = require.resolve('azurite/dist/src/table/main.js');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const cwd = mkdtempSync(join(tmpdir(), 'azurite-'));
    const child = spawn(process.execPath, [main, '--inMemoryPersistence', '--tableHost', '127.0.0.1', '--tablePort', String(port), '--disableTelemetry', '--skipApiVersionCheck', '--loose'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const started = await new Promise<boolean>((resolve) => {
      let out = '';
      const timer = setTimeout(() => resolve(false), 20_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (/successfully started|listening at/.test(out)) {
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
      return {
        connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};TableEndpoint=http://127.0.0.1:${port}/${ACCOUNT};`,
        stop: () => stop(child, cwd),
      };
    }
    await stop(child, cwd);
    if (attempt >= 3) throw new Error('azurite-table did not start');
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

export function tableClient(connectionString: string, table: string): TableClient {
  return TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true });
}

export async function createAzureTable(connectionString: string, table: string): Promise<void> {
  await TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true }).createTable(table);
}
