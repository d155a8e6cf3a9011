import { SECRET_READ_TIMEOUT_MS, SecretReadError, excerpt, fetchFailure, type SecretReader } from './types';

/** Audience of Microsoft Entra tokens for Key Vault. */
export const AZURE_KEY_VAULT_SCOPE = 'https://vault.azure.net/.default';

/** Key Vault data-plane API version of the secret reads. */
export const AZURE_KEY_VAULT_API_VERSION = '7.4';

export interface AzureKeyVaultReaderOptions {
  /**
   * Replaces the scheme, host and port of every secret URI (tests point it at a local server; the
   * path `/secrets/<name>[/<version>]` is kept).
   * @default - the secret URI as given
   */
  readonly baseUrl?: string;
  /**
   * A Microsoft Entra access token for `https://vault.azure.net/.default`.
   * @default - `ManagedIdentityCredential` from @azure/identity with the client id in `AZURE_CLIENT_ID`
   *   (the function app's user-assigned identity; system-assigned when unset), tokens cached and
   *   refreshed before they expire
   */
  readonly accessToken?: () => Promise<string>;
  /** @default process.env.AZURE_CLIENT_ID */
  readonly clientId?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

function managedIdentityToken(clientId: string | undefined): () => Promise<string> {
  let provider: Promise<() => Promise<string>> | undefined;
  return async () => {
    provider ??= import('@azure/identity').then(({ ManagedIdentityCredential, getBearerTokenProvider }) =>
      getBearerTokenProvider(clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential(), AZURE_KEY_VAULT_SCOPE),
    );
    let getToken: () => Promise<string>;
    try {
      getToken = await provider;
    } catch (err) {
      provider = undefined;
      throw new SecretReadError(`azure-kv: the package @azure/identity cannot be loaded (${(err as Error).message}); run: npm i @azure/identity`);
    }
    return getToken();
  };
}

/**
 * `azure-kv:https://<vault>.vault.azure.net/secrets/<name>[/<version>]`: Key Vault's Get Secret
 * (`GET <uri>?api-version=7.4`), whose secret bundle `{ value, id, attributes }` holds the value.
 * Without a version it is the current one, so a new version takes effect on the next refresh.
 */
export function azureKeyVaultReader(options: AzureKeyVaultReaderOptions = {}): SecretReader {
  const accessToken = options.accessToken ?? managedIdentityToken(options.clientId ?? process.env.AZURE_CLIENT_ID);
  return async (uri) => {
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      throw new SecretReadError(`azure-kv: '${uri}' is not a URL; expected https://<vault>.vault.azure.net/secrets/<name>`);
    }
    if (parsed.protocol !== 'https:' || !/^\/secrets\/[0-9a-zA-Z-]+(\/[0-9a-zA-Z]+)?\/?$/.test(parsed.pathname)) {
      throw new SecretReadError(`azure-kv: '${uri}' is not a secret URI; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]`);
    }
    let token: string;
    try {
      token = await accessToken();
    } catch (err) {
      throw err instanceof SecretReadError ? err : new SecretReadError(`azure-kv: no Microsoft Entra token for Key Vault: ${(err as Error).message}`);
    }
    const origin = options.baseUrl ? options.baseUrl.replace(/\/+$/, '') : parsed.origin;
    const url = `${origin}${parsed.pathname.replace(/\/$/, '')}?api-version=${AZURE_KEY_VAULT_API_VERSION}`;
    let res: Response;
    let text: string;
    try {
      res = await (options.fetch ?? fetch)(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal: AbortSignal.timeout(SECRET_READ_TIMEOUT_MS) });
      text = await res.text();
    } catch (err) {
      throw new SecretReadError(`azure-kv: get of ${uri} failed: ${fetchFailure(err)}`);
    }
    let body: { value?: unknown; error?: { code?: unknown; message?: unknown } } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const e = body?.error;
      const detail = e && typeof e.message === 'string' ? `${typeof e.code === 'string' ? `${e.code}: ` : ''}${e.message}` : excerpt(text);
      throw new SecretReadError(`azure-kv: get of ${uri} failed: HTTP ${res.status}: ${excerpt(detail)}`);
    }
    if (typeof body?.value !== 'string') throw new SecretReadError(`azure-kv: the answer for ${uri} has no value: ${excerpt(text)}`);
    return body.value;
  };
}
