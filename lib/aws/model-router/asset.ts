// The function's code package: the shipped AWS router bundle plus the deployed config file.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routerBundleDir } from '../../common/router-bundle';

/** File name of the router config inside the code package. */
export const ROUTER_CONFIG_FILE = 'router-config.json';

/**
 * Where Lambda unpacks the code package (`LAMBDA_TASK_ROOT`), and so the path of the config file the
 * function reads: the config travels in the package, not in the environment, which Lambda limits to
 * 4 KB in all (a design with many routes and tenants has a larger config).
 */
export const ROUTER_CONFIG_PATH = `/var/task/${ROUTER_CONFIG_FILE}`;

/** The files of the AWS bundle (`index.js`, its license file), sorted. */
function bundleFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

/**
 * A directory holding the AWS router bundle and `router-config.json` with `configJson`, named by a
 * hash of every file it holds (so the same bundle and config always give the same directory, and
 * the asset hash CDK computes from its contents is the same on every machine). It is written once,
 * under the OS temporary directory, through a rename, so parallel synths never see it half-written.
 */
export function stageRouterCode(configJson: string, bundleDir: string = routerBundleDir('aws')): string {
  const files = bundleFiles(bundleDir);
  const hash = createHash('sha256');
  const contents = new Map<string, Buffer>();
  for (const f of files) {
    const data = readFileSync(join(bundleDir, f));
    contents.set(f, data);
    hash.update(`${f}\0${data.length}\0`).update(data);
  }
  hash.update(`${ROUTER_CONFIG_FILE}\0${Buffer.byteLength(configJson)}\0`).update(configJson);
  const dir = join(tmpdir(), `ai-stack-router-aws-${hash.digest('hex').slice(0, 32)}`);
  const complete = () => [...files, ROUTER_CONFIG_FILE].every((f) => existsSync(join(dir, f)));
  if (complete()) return dir;
  const staging = mkdtempSync(join(tmpdir(), 'ai-stack-router-staging-'));
  for (const f of files) writeFileSync(join(staging, f), contents.get(f)!);
  writeFileSync(join(staging, ROUTER_CONFIG_FILE), configJson);
  try {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true }); // an incomplete copy (a temp cleaner took files)
    renameSync(staging, dir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    // Another process renamed its identical copy into place first.
    if (!complete()) throw err;
  }
  return dir;
}
