// The function app's code package: the shipped Azure router bundle as a zip (a complete v4-model
// function app: index.js with @azure/functions, package.json, host.json), and where it is uploaded.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { routerBundleDir } from '../../common/router-bundle';

/**
 * The blob name a Flex Consumption app runs from: "the name of the package file itself must be
 * `released-package.zip`" (learn.microsoft.com, azure-functions/functions-infrastructure-as-code,
 * Flex Consumption, Deployment package). On startup each instance gets the package from the app's
 * deployment container and runs from it (azure-functions/flex-consumption-plan, Deployment).
 */
export const PACKAGE_BLOB_NAME = 'released-package.zip';

/** The shipped package: `dist/router/azure.zip`, beside the bundle folder. */
export function defaultPackagePath(): string {
  return join(dirname(routerBundleDir('azure')), 'azure.zip');
}

/** What the construct uploads: the package file, its content hash and the container named by it. */
export interface RouterPackage {
  readonly path: string;
  /** SHA-256 of the zip, hex. */
  readonly sha256: string;
  /**
   * `pkg-<first 24 hex digits of the hash>`: a new package is a new container, so the function app's
   * deployment storage changes with it, the app is updated (and restarted) in the same apply, and
   * its instances start from the new package.
   */
  readonly containerName: string;
}

export function routerPackage(path: string): RouterPackage {
  if (!existsSync(path)) {
    throw new Error(
      `the Azure router package is missing (${path}): in a checkout of ai-stack-constructs run 'npm run build:router', which writes dist/router/azure.zip; ` +
        'an installed package ships it, so reinstall ai-stack-constructs',
    );
  }
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  return { path, sha256, containerName: `pkg-${sha256.slice(0, 24)}` };
}
