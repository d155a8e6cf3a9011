import { parseSecretRef, SECRET_REF_SCHEMES, type SecretRefScheme } from '../deploy-env';
import { awsSecretsManagerReader, type AwsSecretsManagerReaderOptions } from './aws-sm';
import { azureKeyVaultReader, type AzureKeyVaultReaderOptions } from './azure-kv';
import { fileSecretReader } from './file';
import { gcpSecretManagerReader, type GcpSecretManagerReaderOptions } from './gcp-sm';
import { SecretReadError, type SecretReader } from './types';

export { awsSecretsManagerReader, regionOfSecretArn, type AwsSecretsManagerReaderOptions } from './aws-sm';
export { AZURE_KEY_VAULT_API_VERSION, AZURE_KEY_VAULT_SCOPE, azureKeyVaultReader, type AzureKeyVaultReaderOptions } from './azure-kv';
export { fileSecretReader } from './file';
export { GCP_SECRET_MANAGER_SCOPE, GCP_SECRET_MANAGER_URL, gcpSecretManagerReader, type GcpSecretManagerReaderOptions } from './gcp-sm';
export { RefreshingSecret, SecretUnavailableError, secretRefreshMs, type RefreshingSecretOptions } from './refreshing';
export { SECRET_READ_TIMEOUT_MS, SecretReadError, type SecretReader } from './types';

/** A reader per scheme. */
export type SecretReaders = Readonly<Record<SecretRefScheme, SecretReader>>;

/** Connection seams of each scheme's reader (tests point them at local servers). */
export interface SecretReaderOptions {
  readonly awsSm?: AwsSecretsManagerReaderOptions;
  readonly gcpSm?: GcpSecretManagerReaderOptions;
  readonly azureKv?: AzureKeyVaultReaderOptions;
}

/** The readers of every scheme, each with its cloud's default credentials unless `options` says otherwise. */
export function secretReaders(options: SecretReaderOptions = {}): SecretReaders {
  return {
    'aws-sm': awsSecretsManagerReader(options.awsSm),
    'gcp-sm': gcpSecretManagerReader(options.gcpSm),
    'azure-kv': azureKeyVaultReader(options.azureKv),
    file: fileSecretReader(),
  };
}

let defaults: SecretReaders | undefined;

/** The current value of a secret reference. */
export function readSecretRef(ref: string, readers: Partial<SecretReaders> = (defaults ??= secretReaders())): Promise<string> {
  const parsed = parseSecretRef(ref);
  if (!parsed) return Promise.reject(new SecretReadError(secretRefProblem(ref) ?? `'${ref}' is not a secret reference`));
  const reader = readers[parsed.scheme];
  if (!reader) return Promise.reject(new SecretReadError(`no reader for ${parsed.scheme}: secret references`));
  return reader(parsed.locator);
}

/** What is wrong with a secret reference, or undefined when it is one. */
export function secretRefProblem(ref: string): string | undefined {
  if (parseSecretRef(ref)) return undefined;
  return `'${ref.length > 80 ? `${ref.slice(0, 80)}…` : ref}' is not a secret reference: expected ${SECRET_REF_SCHEMES.map((s) => `${s}:…`).join(', ')} (the value itself never goes in a variable)`;
}

/**
 * The optional packages the default reader of a reference loads (the cloud bundles carry their own
 * cloud's, or run where the platform provides it).
 */
export function secretRefPackages(ref: string): readonly string[] {
  switch (parseSecretRef(ref)?.scheme) {
    case 'aws-sm':
      return ['@aws-sdk/client-secrets-manager'];
    case 'gcp-sm':
      return ['google-auth-library'];
    case 'azure-kv':
      return ['@azure/identity'];
    default:
      return [];
  }
}
