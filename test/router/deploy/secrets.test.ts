import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsSecretsManagerReader, azureKeyVaultReader, fileSecretReader, gcpSecretManagerReader, readSecretRef, RefreshingSecret, SecretUnavailableError, secretRefreshMs } from '../../../lib/router/secrets';
import { FakeKeyVault, FakeSecretManager, FakeSecretsManager } from './support/secret-stores';

// The SDK warns once per process that later versions need Node 22; the tests run on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ai-stack/key-hashes-AbCdEf';

describe('aws-sm: Secrets Manager GetSecretValue', () => {
  let sm: FakeSecretsManager;
  beforeAll(async () => {
    sm = await new FakeSecretsManager().start();
  });
  afterAll(() => sm.stop());
  const reader = () => awsSecretsManagerReader({ clientConfig: { endpoint: sm.url, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } } });

  test('reads SecretString with a signed JSON 1.1 GetSecretValue in the region of the ARN', async () => {
    sm.secrets.set(ARN, '{"team-a":[]}');
    await expect(reader()(ARN)).resolves.toBe('{"team-a":[]}');
    const r = sm.requests[sm.requests.length - 1];
    expect(r.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(r.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(r.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request/);
    expect(JSON.parse(r.body)).toEqual({ SecretId: ARN });
  });

  test('a missing secret names the secret, the HTTP status and the exception', async () => {
    await expect(reader()(`${ARN}-gone`)).rejects.toThrow(`aws-sm: GetSecretValue of ${ARN}-gone failed (HTTP 400): ResourceNotFoundException: Secrets Manager can't find the specified secret.`);
  });

  test('the value is read again on every call (a new version is picked up)', async () => {
    const read = reader();
    sm.secrets.set(ARN, 'one');
    await expect(read(ARN)).resolves.toBe('one');
    sm.secrets.set(ARN, 'two');
    await expect(read(ARN)).resolves.toBe('two');
  });

  test('through readSecretRef with the scheme prefix', async () => {
    sm.secrets.set(ARN, 'via-ref');
    await expect(readSecretRef(`aws-sm:${ARN}`, { 'aws-sm': reader() })).resolves.toBe('via-ref');
    await expect(readSecretRef('vault:xyz', {})).rejects.toThrow(/'vault:xyz' is not a secret reference: expected aws-sm:…, gcp-sm:…, azure-kv:…, file:…/);
  });
});

describe('gcp-sm: Secret Manager versions.access', () => {
  let gsm: FakeSecretManager;
  const NAME = 'projects/acme/secrets/ai-stack-key-hashes/versions/latest';
  beforeAll(async () => {
    gsm = await new FakeSecretManager().start();
  });
  afterAll(() => gsm.stop());
  const reader = (token = 'gcp-token') => gcpSecretManagerReader({ baseUrl: gsm.url, accessToken: async () => token });

  test('GET /v1/<name>:access with the bearer token; payload.data is base64', async () => {
    gsm.secrets.set(NAME, 'héllo {"x":1}');
    await expect(reader()(NAME)).resolves.toBe('héllo {"x":1}');
    expect(gsm.requests[gsm.requests.length - 1]).toMatchObject({ method: 'GET', url: `/v1/${NAME}:access`, headers: { authorization: 'Bearer gcp-token' } });
  });

  test("Google's error JSON gives the status and message", async () => {
    await expect(reader()('projects/acme/secrets/nope/versions/latest')).rejects.toThrow('gcp-sm: access of projects/acme/secrets/nope/versions/latest failed: HTTP 404: NOT_FOUND: Secret [projects/acme/secrets/nope] not found or has no versions.');
    await expect(reader('wrong')(NAME)).rejects.toThrow(/HTTP 401: UNAUTHENTICATED: Request had invalid authentication credentials/);
  });

  test('a locator that is not a version name is refused before any call', async () => {
    const before = gsm.requests.length;
    await expect(reader()('projects/acme/secrets/x')).rejects.toThrow(/is not a secret version name; expected projects\/<project>\/secrets\/<secret>\/versions\/<version or latest>/);
    expect(gsm.requests.length).toBe(before);
  });
});

describe('azure-kv: Key Vault Get Secret', () => {
  let kv: FakeKeyVault;
  const URI = 'https://acme-router.vault.azure.net/secrets/key-hashes';
  beforeAll(async () => {
    kv = await new FakeKeyVault().start();
  });
  afterAll(() => kv.stop());
  const reader = (token = 'kv-token') => azureKeyVaultReader({ baseUrl: kv.url, accessToken: async () => token });

  test('GET <secret uri>?api-version=7.4 with the bearer token; the bundle value', async () => {
    kv.secrets.set('key-hashes', '{"team-a":["ab"]}');
    await expect(reader()(URI)).resolves.toBe('{"team-a":["ab"]}');
    expect(kv.requests[kv.requests.length - 1]).toMatchObject({ method: 'GET', url: '/secrets/key-hashes?api-version=7.4', headers: { authorization: 'Bearer kv-token' } });
    kv.secrets.set('endpoint-key', 'sk-1');
    await expect(reader()('https://acme-router.vault.azure.net/secrets/endpoint-key/0123456789abcdef')).resolves.toBe('sk-1');
    expect(kv.requests[kv.requests.length - 1].url).toBe('/secrets/endpoint-key/0123456789abcdef?api-version=7.4');
  });

  test("Key Vault's error JSON gives its code and message", async () => {
    await expect(reader()('https://acme-router.vault.azure.net/secrets/missing')).rejects.toThrow(/azure-kv: get of https:\/\/acme-router.vault.azure.net\/secrets\/missing failed: HTTP 404: SecretNotFound: A secret with \(name\/id\) missing was not found/);
    await expect(reader('bad')(URI)).rejects.toThrow(/HTTP 401: Unauthorized: AKV10000/);
  });

  test('a URI that is not https or not a secret is refused before any call', async () => {
    const before = kv.requests.length;
    await expect(reader()('http://acme.vault.azure.net/secrets/x')).rejects.toThrow(/is not a secret URI/);
    await expect(reader()('https://acme.vault.azure.net/keys/x')).rejects.toThrow(/is not a secret URI/);
    expect(kv.requests.length).toBe(before);
  });
});

describe('file: a mounted secret', () => {
  test('reads the file each time; a relative path or missing file is refused with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-file-'));
    const path = join(dir, 'hashes.json');
    writeFileSync(path, 'v1');
    const read = fileSecretReader();
    await expect(read(path)).resolves.toBe('v1');
    writeFileSync(path, 'v2');
    await expect(read(path)).resolves.toBe('v2');
    await expect(read('relative/x')).rejects.toThrow("file: 'relative/x' is not an absolute path");
    await expect(read(join(dir, 'none'))).rejects.toThrow(/file: cannot read .*none \(ENOENT\)/);
  });
});

describe('RefreshingSecret', () => {
  function fake(values: (string | Error)[]) {
    let i = 0;
    const read = jest.fn(async () => {
      const v = values[Math.min(i++, values.length - 1)];
      if (v instanceof Error) throw v;
      return v;
    });
    return read;
  }
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 0));

  test('fails closed until the first good read: ready() rejects naming the variable, and retries', async () => {
    const read = fake([new Error('AccessDenied'), 'v1']);
    const logs: string[] = [];
    const s = new RefreshingSecret({ variable: 'AI_STACK_KEY_HASHES', ref: 'aws-sm:arn', read, refreshMs: 60_000, clock, log: (m) => logs.push(m), timer: false });
    await expect(s.ready()).rejects.toThrow(new SecretUnavailableError('AI_STACK_KEY_HASHES', 'AccessDenied'));
    expect(s.loaded).toBe(false);
    expect(s.value).toBeUndefined();
    // Within retryMs the failure is answered at once, without another read.
    await expect(s.ready()).rejects.toThrow(SecretUnavailableError);
    expect(read).toHaveBeenCalledTimes(1);
    now = 1000;
    await expect(s.ready()).resolves.toBe('v1');
    expect(logs).toEqual([
      'AI_STACK_KEY_HASHES: cannot read aws-sm:arn: AccessDenied; requests that need it are refused (503 router_secret_unavailable) until it can be read',
      'AI_STACK_KEY_HASHES: aws-sm:arn was read again after failures; using its current value',
    ]);
  });

  test('serves the last good value through failed refreshes, logging once per streak', async () => {
    const read = fake(['v1', new Error('throttled'), new Error('still down'), 'v2', new Error('down again')]);
    const logs: string[] = [];
    const s = new RefreshingSecret({ variable: 'K', ref: 'file:/k', read, refreshMs: 100, clock, log: (m) => logs.push(m), timer: false });
    await s.refresh();
    expect(s.value).toBe('v1');
    await s.refresh();
    await s.refresh();
    expect(s.value).toBe('v1');
    expect(s.lastFailure).toBe('still down');
    await s.refresh();
    expect(s.value).toBe('v2');
    expect(s.lastFailure).toBeUndefined();
    await s.refresh();
    expect(s.value).toBe('v2');
    expect(logs).toEqual([
      'K: re-reading file:/k failed: throttled; the last good value stays in use (logged once until a read succeeds)',
      'K: file:/k was read again after failures; using its current value',
      'K: re-reading file:/k failed: down again; the last good value stays in use (logged once until a read succeeds)',
    ]);
  });

  test('a value that accept refuses is a failed refresh: the last good one stays', async () => {
    const read = fake(['good', 'bad', 'bad', 'good2']);
    const accepted: string[] = [];
    const logs: string[] = [];
    const s = new RefreshingSecret({
      variable: 'K',
      ref: 'file:/k',
      read,
      refreshMs: 100,
      clock,
      timer: false,
      log: (m) => logs.push(m),
      accept: (v) => {
        if (v === 'bad') throw new Error("entry 'x' is wrong");
        accepted.push(v);
      },
    });
    await s.refresh();
    await s.refresh();
    await s.refresh();
    expect(s.value).toBe('good');
    await s.refresh();
    expect(s.value).toBe('good2');
    expect(accepted).toEqual(['good', 'good2']);
    expect(logs.filter((l) => l.includes("entry 'x' is wrong"))).toHaveLength(1);
  });

  test('an unchanged value is not accepted again', async () => {
    const read = fake(['same']);
    const accept = jest.fn();
    const s = new RefreshingSecret({ variable: 'K', ref: 'file:/k', read, refreshMs: 100, clock, timer: false, accept });
    await s.refresh();
    await s.refresh();
    expect(read).toHaveBeenCalledTimes(2);
    expect(accept).toHaveBeenCalledTimes(1);
  });

  test('using the value once it is refreshMs old starts a background read; concurrent reads share one call', async () => {
    let release!: (v: string) => void;
    const read = jest.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const s = new RefreshingSecret({ variable: 'K', ref: 'file:/k', read, refreshMs: 100, clock, timer: false });
    const first = s.refresh();
    const joined = s.ready();
    release('v1');
    await first;
    await expect(joined).resolves.toBe('v1');
    expect(read).toHaveBeenCalledTimes(1);
    now = 99;
    expect(s.value).toBe('v1');
    expect(read).toHaveBeenCalledTimes(1);
    now = 100;
    // Still the old value: the read runs in the background.
    expect(s.value).toBe('v1');
    expect(read).toHaveBeenCalledTimes(2);
    release('v2');
    await new Promise((r) => setImmediate(r));
    expect(s.value).toBe('v2');
  });

  test('the timer re-reads every refreshMs without any use', async () => {
    let n = 0;
    const s = new RefreshingSecret({ variable: 'K', ref: 'file:/k', read: async () => `v${++n}`, refreshMs: 20 });
    try {
      await s.refresh();
      const deadline = Date.now() + 3000;
      while (n < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(n).toBeGreaterThanOrEqual(4);
    } finally {
      s.close();
    }
  });

  test('AI_STACK_SECRET_REFRESH_SECONDS: default 60 s, fractions allowed, nonsense refused', () => {
    expect(secretRefreshMs({})).toBe(60_000);
    expect(secretRefreshMs({ AI_STACK_SECRET_REFRESH_SECONDS: '300' })).toBe(300_000);
    expect(secretRefreshMs({ AI_STACK_SECRET_REFRESH_SECONDS: '0.5' })).toBe(500);
    expect(() => secretRefreshMs({ AI_STACK_SECRET_REFRESH_SECONDS: '0' })).toThrow("AI_STACK_SECRET_REFRESH_SECONDS must be a number of seconds > 0 (got '0')");
    expect(() => secretRefreshMs({ AI_STACK_SECRET_REFRESH_SECONDS: 'often' })).toThrow(/must be a number of seconds/);
  });
});
