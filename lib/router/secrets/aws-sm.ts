import type { GetSecretValueCommandOutput, SecretsManagerClient, SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { SECRET_READ_TIMEOUT_MS, SecretReadError, excerpt, type SecretReader } from './types';

export interface AwsSecretsManagerReaderOptions {
  /**
   * Configuration of the Secrets Manager client (tests point `endpoint` at a local server and pass
   * static `credentials`); `region` overrides the region of the secret's ARN.
   * @default - the region of the ARN, else `AWS_REGION`; the SDK's default credentials (the Lambda role)
   */
  readonly clientConfig?: SecretsManagerClientConfig;
}

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>`: the region, when the locator is an ARN. */
export function regionOfSecretArn(locator: string): string | undefined {
  const m = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(locator);
  return m?.[1];
}

type Sdk = typeof import('@aws-sdk/client-secrets-manager');

/**
 * `aws-sm:<secret ARN>`: `GetSecretValue` of the secret's current version (`AWSCURRENT`), with the
 * function's role. A binary secret is read as UTF-8. `@aws-sdk/client-secrets-manager` loads on the
 * first read (the Lambda runtime provides it; elsewhere it is an optional peer dependency).
 */
export function awsSecretsManagerReader(options: AwsSecretsManagerReaderOptions = {}): SecretReader {
  let sdk: Promise<Sdk> | undefined;
  const clients = new Map<string, SecretsManagerClient>();
  return async (locator) => {
    const region = options.clientConfig?.region ?? regionOfSecretArn(locator) ?? process.env.AWS_REGION;
    if (!region) throw new SecretReadError(`aws-sm: no region for ${locator}: use the secret's full ARN or set AWS_REGION`);
    let m: Sdk;
    try {
      m = await (sdk ??= import('@aws-sdk/client-secrets-manager'));
    } catch (err) {
      sdk = undefined;
      throw new SecretReadError(`aws-sm: the package @aws-sdk/client-secrets-manager cannot be loaded (${(err as Error).message}); run: npm i @aws-sdk/client-secrets-manager`);
    }
    const key = String(region);
    let client = clients.get(key);
    if (!client) clients.set(key, (client = new m.SecretsManagerClient({ ...options.clientConfig, region })));
    let out: GetSecretValueCommandOutput;
    try {
      out = await client.send(new m.GetSecretValueCommand({ SecretId: locator }), { abortSignal: AbortSignal.timeout(SECRET_READ_TIMEOUT_MS) });
    } catch (err) {
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
      throw new SecretReadError(`aws-sm: GetSecretValue of ${locator} failed${status}: ${e.name}: ${excerpt(e.message ?? '')}`);
    }
    if (typeof out.SecretString === 'string') return out.SecretString;
    if (out.SecretBinary) return Buffer.from(out.SecretBinary).toString('utf8');
    throw new SecretReadError(`aws-sm: GetSecretValue of ${locator} answered neither SecretString nor SecretBinary`);
  };
}
