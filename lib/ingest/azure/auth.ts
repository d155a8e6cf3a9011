import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { AZURE_OPENAI_TOKEN_SCOPE } from '../../router/providers/azure-openai';

/** Audience of Microsoft Entra tokens for Blob storage (data plane). */
export const STORAGE_TOKEN_SCOPE = 'https://storage.azure.com/.default';
/** Audience of Microsoft Entra tokens for the Azure AI Search data plane (the service has local auth off). */
export const SEARCH_TOKEN_SCOPE = 'https://search.azure.com/.default';

/** The keyless identity of an ingestion run: one credential, a token source per audience. */
export interface AzureIngestAuth {
  /** For @azure/storage-blob, which asks for `https://storage.azure.com/.default` itself. */
  readonly credential: TokenCredential;
  readonly storageToken: () => Promise<string>;
  readonly searchToken: () => Promise<string>;
  readonly openAiToken: () => Promise<string>;
}

const shared = new Map<string, AzureIngestAuth>();
const importIdentity = () => import('@azure/identity');

/**
 * The function app's user-assigned identity (`clientId`, the construct's AZURE_CLIENT_ID) through one
 * `DefaultAzureCredential` per process, shared by the Blob, AI Search and Azure OpenAI calls, so a
 * token per audience is fetched once and refreshed before it expires. @azure/identity loads on the
 * first token asked for (as `azureOpenAiAccessToken` in the router does): importing this file costs
 * nothing, and tests that pass their own credentials never load it.
 */
export function azureIngestAuth(clientId?: string): AzureIngestAuth {
  const cacheKey = clientId ?? '';
  const cached = shared.get(cacheKey);
  if (cached) return cached;
  let identity: ReturnType<typeof importIdentity> | undefined;
  let inner: Promise<TokenCredential> | undefined;
  const load = () => (identity ??= importIdentity());
  // Without a client id the credential would pick the system-assigned identity (which has no roles
  // here) and fail with a 403 that names neither: the explicit id makes the right identity answer.
  const credential: TokenCredential = {
    getToken: async (scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> => {
      inner ??= load().then(({ DefaultAzureCredential }) => new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {}));
      return (await inner).getToken(scopes, options);
    },
  };
  const bearer = (scope: string) => {
    let provider: Promise<() => Promise<string>> | undefined;
    return async () => {
      provider ??= load().then(({ getBearerTokenProvider }) => getBearerTokenProvider(credential, scope));
      return (await provider)();
    };
  };
  const auth: AzureIngestAuth = {
    credential,
    storageToken: bearer(STORAGE_TOKEN_SCOPE),
    searchToken: bearer(SEARCH_TOKEN_SCOPE),
    openAiToken: bearer(AZURE_OPENAI_TOKEN_SCOPE),
  };
  shared.set(cacheKey, auth);
  return auth;
}

/** A credential that always answers `token` (tests: the fake servers check the header, not the token). */
export function staticTokenCredential(token: string): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
}
