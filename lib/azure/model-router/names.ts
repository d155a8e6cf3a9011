// Physical names of the router's resources. Pure: the stack needs the Key Vault's name (and so the
// literal secret ids the GPU endpoints' cloud-init holds) before the router is built.
import { createHash } from 'node:crypto';
import { fitName } from '../../design/naming';

/** Six characters of a hash of `text`, for names that had to change to fit a service's rules. */
function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 6);
}

/**
 * `parts` joined by `-` under a service's character rules: `hyphens` keeps single hyphens (no
 * leading, trailing or repeated ones: Key Vault, Cognitive Services subdomains), otherwise only
 * lowercase letters and digits remain (storage accounts). A name that had to be changed or cut ends
 * in a hash of the full name, so distinct prefixes keep distinct names.
 */
export function fitStrictName(parts: readonly string[], maxLength: number, hyphens: boolean): string {
  const full = parts.filter((p) => p !== '').join('-');
  const clean = hyphens ? full.replace(/-+/g, '-').replace(/^-|-$/g, '') : full.replace(/[^a-z0-9]/g, '');
  if (clean === full && clean.length <= maxLength) return clean;
  const hash = shortHash(full);
  const room = maxLength - hash.length - (hyphens ? 1 : 0);
  const head = clean.slice(0, room).replace(/-+$/, '');
  return hyphens ? `${head}-${hash}` : `${head}${hash}`;
}

/** Every physical name of a router whose name prefix is `prefix`. */
export interface RouterNames {
  readonly functionApp: string;
  readonly servicePlan: string;
  readonly identity: string;
  /** 3-24 lowercase letters and digits, globally unique. */
  readonly storageAccount: string;
  /** 3-24 letters, digits and single hyphens, globally unique (and reserved 90 days after deletion). */
  readonly keyVault: string;
  readonly logAnalytics: string;
  readonly appInsights: string;
  /** Name and custom subdomain of the Azure OpenAI account: globally unique. */
  readonly openAi: string;
  readonly dashboard: string;
  readonly errorAlert: string;
  readonly latencyAlert: string;
}

export function routerNames(prefix: string): RouterNames {
  return {
    functionApp: fitName(['func', prefix, 'router'], 60),
    servicePlan: fitName(['asp', prefix, 'router'], 60),
    identity: fitName(['id', prefix, 'router'], 128),
    storageAccount: fitStrictName(['st', prefix, 'rtr'], 24, false),
    keyVault: fitStrictName(['kv', prefix, 'rtr'], 24, true),
    logAnalytics: fitName(['log', prefix, 'router'], 63),
    appInsights: fitName(['appi', prefix, 'router'], 255),
    openAi: fitStrictName(['oai', prefix, 'router'], 64, true),
    dashboard: fitStrictName(['dash', prefix, 'router'], 160, true),
    errorAlert: fitName(['alert', prefix, 'router', 'errors'], 260),
    latencyAlert: fitName(['alert', prefix, 'router', 'p99'], 260),
  };
}

/** The Key Vault secret holding the tenant key hashes, JSON `{ "<tenant>": ["<sha256 hex>", …] }`. */
export const KEY_HASHES_SECRET = 'router-key-hashes';

/** The Key Vault secret holding a GPU endpoint's API key (endpoint names are lowercase letters, digits and hyphens). */
export function endpointKeySecretName(endpoint: string): string {
  return fitStrictName(['endpoint-key', endpoint], 127, true);
}

/** Versionless id of a secret in a vault of the Azure public cloud: what the router and the replicas read. */
export function keyVaultSecretUrl(vaultName: string, secretName: string): string {
  return `https://${vaultName}.vault.azure.net/secrets/${secretName}`;
}

/** The ledger table (one entity per tenant and month; lib/router/stores/azure-tables/schema.ts). */
export const LEDGER_TABLE = 'aistackledger';
/** The rate-limit table (one entity per tenant). */
export const RATE_TABLE = 'aistackrate';
