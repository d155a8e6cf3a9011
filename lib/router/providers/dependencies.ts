import type { TargetConfig } from './types';

/**
 * The optional packages each provider adapter loads (lazily, on its first call). They are optional
 * peer dependencies of this package, so a router whose targets need one that is not installed would
 * otherwise fail on the first request that reaches the target, as a retryable "server" fault.
 */
export function adapterPackages(target: TargetConfig): readonly string[] {
  switch (target.provider) {
    case 'bedrock':
      return ['@aws-sdk/client-bedrock-runtime', '@smithy/node-http-handler'];
    case 'vertex':
      return ['google-auth-library'];
    case 'azure-openai':
      // With an API key the adapter needs no Microsoft Entra token.
      return target.apiKey ? [] : ['@azure/identity'];
    default:
      return [];
  }
}

/** Whether a package can be loaded from here. */
export type PackageResolver = (name: string) => boolean;

/** Node's resolution from this module: finds the package without loading it. */
export const resolveFromHere: PackageResolver = (name) => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};

/**
 * One problem per target whose adapter needs a package that `resolve` cannot find, each naming the
 * packages and the exact command that installs everything missing.
 */
export function missingAdapterPackages(targets: readonly TargetConfig[], resolve: PackageResolver = resolveFromHere): string[] {
  const known = new Map<string, boolean>();
  const has = (name: string) => {
    let ok = known.get(name);
    if (ok === undefined) known.set(name, (ok = resolve(name)));
    return ok;
  };
  const perTarget = targets.map((t) => ({ t, missing: adapterPackages(t).filter((p) => !has(p)) })).filter((x) => x.missing.length > 0);
  if (perTarget.length === 0) return [];
  const all = [...new Set(perTarget.flatMap((x) => x.missing))];
  const install = `npm i ${all.join(' ')}`;
  return perTarget.map(({ t, missing }) => `router target '${t.id}' (${t.provider}) needs ${missing.length === 1 ? 'the package' : 'the packages'} ${missing.join(' and ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed; run: ${install}`);
}
