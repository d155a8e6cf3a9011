import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local servers that speak the wire format of each cloud's secret store, as far as the router's
 * readers use it. Each holds `secrets` (name → current value, changed by the tests), records every
 * request, and fails every request with a 500 while `failing` is set.
 */
export interface FakeRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export abstract class FakeSecretStore {
  readonly secrets = new Map<string, string>();
  readonly requests: FakeRequest[] = [];
  failing = false;
  private server!: http.Server;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(r);
        const out = this.failing ? this.serverError() : this.answer(r);
        res.writeHead(out.status, { 'content-type': out.type ?? 'application/json', ...out.headers });
        res.end(typeof out.body === 'string' ? out.body : JSON.stringify(out.body));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  protected abstract answer(r: FakeRequest): { status: number; body: unknown; type?: string; headers?: Record<string, string> };
  protected abstract serverError(): { status: number; body: unknown; type?: string; headers?: Record<string, string> };
}

/** AWS Secrets Manager: JSON 1.1, `X-Amz-Target: secretsmanager.GetSecretValue`, errors as `__type`. */
export class FakeSecretsManager extends FakeSecretStore {
  protected answer(r: FakeRequest) {
    const type = 'application/x-amz-json-1.1';
    if (r.method !== 'POST' || r.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
      return { status: 400, type, body: { __type: 'UnknownOperationException', Message: `unexpected ${r.method} ${String(r.headers['x-amz-target'])}` } };
    }
    if (!String(r.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) return { status: 400, type, body: { __type: 'MissingAuthenticationTokenException', Message: 'Missing Authentication Token' } };
    const { SecretId } = JSON.parse(r.body) as { SecretId: string };
    const value = this.secrets.get(SecretId);
    if (value === undefined) return { status: 400, type, body: { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." } };
    const name = SecretId.split(':secret:')[1] ?? SecretId;
    return { status: 200, type, headers: { 'x-amzn-requestid': 'fake-request' }, body: { ARN: SecretId, Name: name, SecretString: value, VersionId: 'v-1', VersionStages: ['AWSCURRENT'], CreatedDate: 1764547200 } };
  }

  protected serverError() {
    return { status: 500, type: 'application/x-amz-json-1.1', body: { __type: 'InternalServiceError', Message: 'An error occurred on the server side.' } };
  }
}

/** Google Secret Manager: `GET /v1/<version name>:access`, `payload.data` in base64, Google error JSON. */
export class FakeSecretManager extends FakeSecretStore {
  protected answer(r: FakeRequest) {
    const m = /^\/v1\/(projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/:]+):access$/.exec(r.url);
    if (r.method !== 'GET' || !m) return { status: 404, body: { error: { code: 404, message: `unexpected ${r.method} ${r.url}`, status: 'NOT_FOUND' } } };
    if (r.headers.authorization !== 'Bearer gcp-token') {
      return { status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials. Expected OAuth 2 access token.', status: 'UNAUTHENTICATED' } } };
    }
    const value = this.secrets.get(m[1]);
    if (value === undefined) {
      const secret = m[1].replace(/\/versions\/.*$/, '');
      return { status: 404, body: { error: { code: 404, message: `Secret [${secret}] not found or has no versions.`, status: 'NOT_FOUND' } } };
    }
    return { status: 200, body: { name: m[1].replace(/latest$/, '3'), payload: { data: Buffer.from(value, 'utf8').toString('base64'), dataCrc32c: '1234' } } };
  }

  protected serverError() {
    return { status: 503, body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } } };
  }
}

/** Azure Key Vault: `GET /secrets/<name>[/<version>]?api-version=7.4`, a secret bundle or `{ error: { code, message } }`. */
export class FakeKeyVault extends FakeSecretStore {
  protected answer(r: FakeRequest) {
    const u = new URL(r.url, 'http://vault');
    const m = /^\/secrets\/([0-9a-zA-Z-]+)(?:\/([0-9a-zA-Z]+))?$/.exec(u.pathname);
    if (r.method !== 'GET' || !m) return { status: 400, body: { error: { code: 'BadParameter', message: `unexpected ${r.method} ${r.url}` } } };
    if (u.searchParams.get('api-version') !== '7.4') return { status: 400, body: { error: { code: 'BadParameter', message: 'The specified version is not supported' } } };
    if (r.headers.authorization !== 'Bearer kv-token') return { status: 401, body: { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } } };
    const value = this.secrets.get(m[1]);
    if (value === undefined) return { status: 404, body: { error: { code: 'SecretNotFound', message: `A secret with (name/id) ${m[1]} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.` } } };
    return {
      status: 200,
      body: { value, id: `https://fake.vault.azure.net/secrets/${m[1]}/0123456789abcdef0123456789abcdef`, attributes: { enabled: true, created: 1764547200, updated: 1764547200, recoveryLevel: 'Recoverable+Purgeable' } },
    };
  }

  protected serverError() {
    return { status: 500, body: { error: { code: 'InternalServerError', message: 'The service encountered an internal error.' } } };
  }
}
