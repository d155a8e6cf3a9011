import type { GoogleAuth } from 'google-auth-library';
import { SECRET_READ_TIMEOUT_MS, SecretReadError, excerpt, fetchFailure, type SecretReader } from './types';

/** The public Secret Manager API. */
export const GCP_SECRET_MANAGER_URL = 'https://secretmanager.googleapis.com';

/** OAuth scope of Secret Manager calls (`secretmanager.versions.access` needs cloud-platform). */
export const GCP_SECRET_MANAGER_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export interface GcpSecretManagerReaderOptions {
  /** @default GCP_SECRET_MANAGER_URL (tests point it at a local server) */
  readonly baseUrl?: string;
  /**
   * An OAuth 2 access token with the cloud-platform scope.
   * @default - Application Default Credentials from google-auth-library (on Cloud Run, the service's
   *   service account through the metadata server), as the Vertex AI adapter gets its tokens
   */
  readonly accessToken?: () => Promise<string>;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

const VERSION_NAME = /^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/;

let sharedAuth: Promise<GoogleAuth> | undefined;

async function defaultAccessToken(): Promise<string> {
  sharedAuth ??= import('google-auth-library').then((m) => new m.GoogleAuth({ scopes: [GCP_SECRET_MANAGER_SCOPE] }));
  let auth: GoogleAuth;
  try {
    auth = await sharedAuth;
  } catch (err) {
    sharedAuth = undefined;
    throw new SecretReadError(`gcp-sm: the package google-auth-library cannot be loaded (${(err as Error).message}); run: npm i google-auth-library`);
  }
  const token = await auth.getAccessToken();
  if (!token) throw new SecretReadError('gcp-sm: Application Default Credentials gave no access token');
  return token;
}

/**
 * `gcp-sm:projects/<p>/secrets/<s>/versions/<v>`: Secret Manager's `versions.access`
 * (`GET /v1/<name>:access`), whose `payload.data` is the value in base64. `versions/latest` follows
 * the newest enabled version, so a new version takes effect on the next refresh.
 */
export function gcpSecretManagerReader(options: GcpSecretManagerReaderOptions = {}): SecretReader {
  const base = (options.baseUrl ?? GCP_SECRET_MANAGER_URL).replace(/\/+$/, '');
  const accessToken = options.accessToken ?? defaultAccessToken;
  return async (name) => {
    if (!VERSION_NAME.test(name)) throw new SecretReadError(`gcp-sm: '${name}' is not a secret version name; expected projects/<project>/secrets/<secret>/versions/<version or latest>`);
    let token: string;
    try {
      token = await accessToken();
    } catch (err) {
      throw err instanceof SecretReadError ? err : new SecretReadError(`gcp-sm: no Google access token: ${(err as Error).message}`);
    }
    const url = `${base}/v1/${name}:access`;
    let res: Response;
    let text: string;
    try {
      res = await (options.fetch ?? fetch)(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal: AbortSignal.timeout(SECRET_READ_TIMEOUT_MS) });
      text = await res.text();
    } catch (err) {
      throw new SecretReadError(`gcp-sm: access of ${name} failed: ${fetchFailure(err)}`);
    }
    let body: { payload?: { data?: unknown }; error?: { code?: unknown; status?: unknown; message?: unknown } } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const e = body?.error;
      const detail = e && typeof e.message === 'string' ? `${typeof e.status === 'string' ? `${e.status}: ` : ''}${e.message}` : excerpt(text);
      throw new SecretReadError(`gcp-sm: access of ${name} failed: HTTP ${res.status}: ${excerpt(detail)}`);
    }
    const data = body?.payload?.data;
    if (typeof data !== 'string') throw new SecretReadError(`gcp-sm: the answer for ${name} has no payload.data: ${excerpt(text)}`);
    return Buffer.from(data, 'base64').toString('utf8');
  };
}
