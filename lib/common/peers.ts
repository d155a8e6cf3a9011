/**
 * The optional peer packages each entry point needs, and the one clear error when one is missing:
 * it names the packages and the exact `npm i …` that installs them (with the ranges this package
 * declares), so no user meets a raw `Cannot find module` with a require stack.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What each cloud's entry point (`ai-stack-constructs/<cloud>`) and `ai-stack synth --cloud <cloud>` load. */
export const CLOUD_PEERS = {
  aws: ['aws-cdk-lib', 'constructs'],
  gcp: ['cdktf', '@cdktf/provider-google', 'constructs'],
  azure: ['cdktf', '@cdktf/provider-azurerm', 'constructs'],
} as const;

/** A peer package is not installed, or is older than a construct needs. */
export class MissingPeerError extends Error {
  constructor(
    message: string,
    /** The packages to install, each with its range, e.g. `cdktf@0.21.0`. */
    readonly install: readonly string[],
  ) {
    super(message);
    this.name = 'MissingPeerError';
  }
}

interface OwnManifest {
  readonly version: string;
  readonly peerDependencies: Readonly<Record<string, string>>;
}

let root: string | undefined;

/** This package's root directory (found upwards from this file: `lib/common` or `dist/lib/common`). */
export function packageRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'ai-stack-constructs') return (root = dir);
    if (dirname(dir) === dir) throw new Error(`ai-stack-constructs: its package.json was not found above ${__dirname}; reinstall the package`);
  }
}

/** This package's own package.json. */
export function ownManifest(): OwnManifest {
  const json = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as OwnManifest;
  return { version: json.version, peerDependencies: json.peerDependencies ?? {} };
}

/** True when `name` resolves from this package (as a `require` from its code would). */
export function isInstalled(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch (e) {
    // A package whose `exports` hide package.json is still installed.
    return (e as NodeJS.ErrnoException).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
  }
}

/** `name@range` as this package declares the peer, e.g. `cdktf@0.21.0`. */
export function installSpec(name: string): string {
  const range = ownManifest().peerDependencies[name];
  return range ? `${name}@${range}` : name;
}

/** The names in `names` that are not installed (each once, in order). */
export function missingPeers(names: readonly string[], installed: (name: string) => boolean = isInstalled): string[] {
  return [...new Set(names)].filter((n) => !installed(n));
}

/** The error for `missing` packages needed by `what` (e.g. `ai-stack-constructs/gcp`). */
export function missingPeerError(what: string, missing: readonly string[]): MissingPeerError {
  const install = missing.map(installSpec);
  const list = missing.length === 1 ? `${missing[0]}, which is` : `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]}, which are`;
  return new MissingPeerError(`${what} needs ${list} not installed; install with: npm i ${install.join(' ')}`, install);
}

/** Throws a {@link MissingPeerError} naming every package of `names` that is not installed. */
export function assertPeers(what: string, names: readonly string[], installed?: (name: string) => boolean): void {
  const missing = missingPeers(names, installed);
  if (missing.length > 0) throw missingPeerError(what, missing);
}

/** Compares two `major.minor.patch` versions (pre-release tags ignored): < 0, 0 or > 0. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^[^\d]*/, '').split(/[.+-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The installed version of `name`, read from its package.json. */
export function installedVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

/**
 * Refuses an installed `name` older than `minimum`, for a construct (`feature`) that needs an L1 or
 * API that `name` only has since then. A construct calls it first thing in its constructor.
 */
export function requirePeerVersion(name: string, minimum: string, feature: string, installed: string = installedVersion(name)): void {
  if (compareVersions(installed, minimum) >= 0) return;
  throw new MissingPeerError(`${feature} needs ${name} ${minimum} or newer, but this app has ${name} ${installed}; upgrade with: npm i ${name}@^${minimum}`, [`${name}@^${minimum}`]);
}
