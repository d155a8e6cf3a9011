/**
 * OAuth access tokens for the Firestore REST API from the metadata server of the runtime (Cloud Run,
 * Cloud Functions, GKE with Workload Identity, GCE): the attached service account's token, which
 * needs no key file and no SDK.
 */
export interface MetadataTokenOptions {
  /**
   * Host (and port) of the metadata server.
   * @default process.env.GCE_METADATA_HOST ?? 'metadata.google.internal' (the variable Google's own client libraries honour)
   */
  readonly host?: string;
  readonly fetch?: typeof fetch;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  /** A token is fetched again this long before it expires. @default 60_000 */
  readonly refreshBeforeExpiryMs?: number;
}

export const METADATA_TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

/**
 * A `getAccessToken` that asks the metadata server once and reuses the token until shortly before
 * it expires; concurrent callers share one request. A failed request is not cached.
 */
export function metadataServerToken(o: MetadataTokenOptions = {}): () => Promise<string> {
  const clock = o.clock ?? Date.now;
  const margin = o.refreshBeforeExpiryMs ?? 60_000;
  let cached: { token: string; refreshAtMs: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const request = async (): Promise<string> => {
    const doFetch = o.fetch ?? fetch;
    const host = o.host ?? process.env.GCE_METADATA_HOST ?? 'metadata.google.internal';
    const url = `http://${host}${METADATA_TOKEN_PATH}`;
    const fetchedAt = clock();
    let res: Response;
    try {
      res = await doFetch(url, { headers: { 'Metadata-Flavor': 'Google' }, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new Error(`firestore: no access token from the metadata server (${url}): ${(err as Error).message}. Outside Google Cloud, pass getAccessToken.`);
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`firestore: the metadata server answered ${res.status} for an access token (${url}): ${text.slice(0, 300)}`);
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(`firestore: the metadata server's token response is not JSON: ${text.slice(0, 300)}`);
    }
    if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') throw new Error(`firestore: the metadata server's token response has no access_token/expires_in: ${text.slice(0, 300)}`);
    const lifetimeMs = body.expires_in * 1000;
    cached = { token: body.access_token, refreshAtMs: fetchedAt + Math.max(0, lifetimeMs - Math.min(margin, lifetimeMs / 2)) };
    return body.access_token;
  };

  return async () => {
    if (cached && clock() < cached.refreshAtMs) return cached.token;
    inFlight ??= request().finally(() => (inFlight = undefined));
    return inFlight;
  };
}

let shared: (() => Promise<string>) | undefined;

/** One metadata-server token cache per process, shared by every store that was given no getAccessToken. */
export function defaultAccessToken(): Promise<string> {
  shared ??= metadataServerToken();
  return shared();
}
