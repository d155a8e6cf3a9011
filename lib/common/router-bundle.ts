import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Cloud } from '../design/cloud';

/**
 * Where the router bundle a `ModelRouter` deploys lives: `dist/router/<cloud>/` of this package (and
 * the budget's stop function bundle, `dist/budget/<cloud>/`),
 * built by `npm run build:router` (scripts/build-router.js) and shipped in the npm tarball, so synth
 * needs neither esbuild nor the network on the user's machine.
 */

const PACKAGE_NAME = 'ai-stack-constructs';

/** The package root: the nearest directory above this file whose package.json is this package's. */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${__dirname}`);
    dir = parent;
  }
}

/** The directory of `cloud`'s router bundle (its `index.js` and license file); throws when it was not built. */
export function routerBundleDir(cloud: Cloud): string {
  return shippedBundleDir('router', cloud);
}

/**
 * The directory of `cloud`'s budget stop function bundle (`dist/budget/<cloud>/`, built beside the
 * router's by `npm run build:router`); throws when it was not built.
 */
export function budgetBundleDir(cloud: Cloud): string {
  return shippedBundleDir('budget', cloud);
}

/**
 * The directory of `cloud`'s ingestion bundle (`dist/ingest/<cloud>/`: the vector store's scheduled
 * ingestion on GCP and Azure, its freshness probe on AWS); throws when it was not built.
 */
export function ingestBundleDir(cloud: Cloud): string {
  return shippedBundleDir('ingest', cloud);
}

const BUNDLE_NAMES = { router: 'router bundle', budget: 'budget stop function bundle', ingest: 'ingestion bundle' } as const;

function shippedBundleDir(runtime: keyof typeof BUNDLE_NAMES, cloud: Cloud): string {
  const dir = join(packageRoot(), 'dist', runtime, cloud);
  if (!existsSync(join(dir, 'index.js'))) {
    const what = BUNDLE_NAMES[runtime];
    throw new Error(`the ${cloud} ${what} is missing (${join(dir, 'index.js')}): in a checkout of ai-stack-constructs run 'npm run build:router'; an installed package ships it, so reinstall ai-stack-constructs`);
  }
  return dir;
}
