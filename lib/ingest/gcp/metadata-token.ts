/*
 * The attached service account's OAuth token from a metadata server (the same endpoint Cloud Run
 * jobs, GCE and GKE serve, cloud.google.com/compute/docs/access/authenticate-workloads):
 *   GET {base}/computeMetadata/v1/instance/service-accounts/default/token   Metadata-Flavor: Google
 *   → {"access_token":"…","expires_in":3599,"token_type":"Bearer"}
 * The entry uses it only when `INGEST_ENV.apiBases.metadata` names a server (tests): in a deployment
 * the token comes from Application Default Credentials like the router's, which ask this same
 * endpoint on Cloud Run.
 */
export const METADATA_TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

/** A token function that asks `base` once and reuses the token until a minute before it expires. */
export function metadataAccessToken(base: string, now: () => number = Date.now): () => Promise<string> {
  const url = `${base.replace(/\/+$/, '')}${METADATA_TOKEN_PATH}`;
  let cached: { token: string; refreshAtMs: number } | undefined;
  return async () => {
    if (cached && now() < cached.refreshAtMs) return cached.token;
    const fetchedAt = now();
    const res = await fetch(url, { headers: { 'Metadata-Flavor': 'Google' }, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`the metadata server answered HTTP ${res.status} for a token (${url})`);
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(`the metadata server's token answer is not JSON (${url})`);
    }
    if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') throw new Error(`the metadata server's token answer has no access_token and expires_in (${url})`);
    const lifetimeMs = body.expires_in * 1000;
    cached = { token: body.access_token, refreshAtMs: fetchedAt + Math.max(0, lifetimeMs - Math.min(60_000, lifetimeMs / 2)) };
    return body.access_token;
  };
}
