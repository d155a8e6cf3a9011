// The ingestion function app's code package: the shipped Azure ingestion bundle as a zip (a v4-model
// function app with the `ingest` and `freshness` timers, lib/ingest/azure/entry.ts), and where it is
// uploaded, as the router's and the budget's packages are.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ingestBundleDir } from '../../common/router-bundle';

/** The shipped package: `dist/ingest/azure.zip`, beside the bundle folder. */
export function defaultIngestPackagePath(): string {
  return join(dirname(ingestBundleDir('azure')), 'azure.zip');
}

/** The code package as uploaded: its file, hash, and the container named by the hash (a new package, a new container). */
export interface IngestPackage {
  readonly path: string;
  /** SHA-256 of the zip, hex. */
  readonly sha256: string;
  /** `pkg-<first 24 hex digits of the hash>`: a new package is a new deployment container, so the app restarts on it. */
  readonly containerName: string;
}

export function ingestPackage(path: string): IngestPackage {
  if (!existsSync(path)) {
    throw new Error(
      `the Azure ingestion package is missing (${path}): in a checkout of ai-stack-constructs run 'npm run build:router', which writes dist/ingest/azure.zip; an installed package ships it, so reinstall ai-stack-constructs`,
    );
  }
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  return { path, sha256, containerName: `pkg-${sha256.slice(0, 24)}` };
}
