import { createHash } from 'node:crypto';
import { GoogleApiError } from '../../../lib/ingest/gcp/http';
import { GcsClient, GcsManifestStore, gcsFingerprint, parseGoogHash } from '../../../lib/ingest/gcp/storage';
import { EMPTY_MANIFEST, ManifestConflictError, type Manifest } from '../../../lib/ingest/manifest';
import { crc32c, GcsFake } from './gcs-fake';

const noWait = { sleep: async () => undefined, random: () => 0 };
const md5 = (s: string) => createHash('md5').update(s).digest('base64');

describe('Cloud Storage client', () => {
  let gcs: GcsFake;
  let client: GcsClient;
  beforeEach(async () => {
    gcs = await GcsFake.start();
    client = new GcsClient({ baseUrl: gcs.baseUrl, accessToken: async () => 'ya29.test', retry: noWait });
  });
  afterEach(() => gcs.close());

  test('crc32c of the fake is Castagnoli (RFC 3720 test vector: 32 zero bytes → 0x8a9136aa)', () => {
    expect(Buffer.from(crc32c(new Uint8Array(32)), 'base64').toString('hex')).toBe('8a9136aa');
  });

  test('lists every object across pages, asking only the fields it needs, skipping folder placeholders', async () => {
    for (let i = 0; i < 25; i++) gcs.put('docs', `a/${String(i).padStart(2, '0')}.txt`, `text ${i}`);
    gcs.put('docs', 'a/', '');
    gcs.put('docs', 'a/sub/', '');
    gcs.pageSize = 10;
    const listed = await client.listDocuments('docs');
    expect(listed.map((d) => d.id)).toEqual(Array.from({ length: 25 }, (_, i) => `a/${String(i).padStart(2, '0')}.txt`));
    expect(listed[3].fingerprint).toBe(`md5:${md5('text 3')}`);
    const lists = gcs.requests.filter((r) => r.path === '/storage/v1/b/docs/o');
    // 27 names in pages of 10: three pages, each after the first naming the previous page's token.
    expect(lists).toHaveLength(3);
    expect(lists[0].query.get('pageToken')).toBeNull();
    expect(lists[1].query.get('pageToken')).toBeTruthy();
    expect(lists[2].query.get('pageToken')).not.toBe(lists[1].query.get('pageToken'));
    for (const r of lists) expect(r.query.get('fields')).toBe('nextPageToken,items(name,md5Hash,crc32c,size)');
    expect(lists[0].authorization).toBe('Bearer ya29.test');
  });

  test('an empty bucket lists nothing; a composite object (no MD5) is fingerprinted by CRC32C and size', async () => {
    gcs.bucket('empty');
    expect(await client.listDocuments('empty')).toEqual([]);
    const o = gcs.put('docs', 'big.md', 'composed of parts', { composite: true });
    const [listed] = await client.listDocuments('docs');
    expect(listed).toEqual({ id: 'big.md', fingerprint: `crc32c:${crc32c(o.bytes)}:17` });
    // The download reports the same token, so an unchanged composite object is not re-embedded.
    expect((await client.readDocument('docs', 'big.md')).fingerprint).toBe(listed.fingerprint);
  });

  test('reads an object by its encoded name: bytes, content type, and the token of the version served', async () => {
    const name = 'handbook/Chapter 1/été #2?.html';
    gcs.put('docs', name, '<p>Bonjour</p>', { contentType: 'text/html; charset=utf-8' });
    const [listed] = await client.listDocuments('docs');
    // Rewritten between listing and download: the token must be the new content's.
    gcs.put('docs', name, '<p>Bonjour à tous</p>', { contentType: 'text/html; charset=utf-8' });
    const read = await client.readDocument('docs', name);
    expect(new TextDecoder().decode(read.bytes)).toBe('<p>Bonjour à tous</p>');
    expect(read.contentType).toBe('text/html; charset=utf-8');
    expect(read.fingerprint).toBe(`md5:${createHash('md5').update('<p>Bonjour à tous</p>').digest('base64')}`);
    expect(read.fingerprint).not.toBe(listed.fingerprint);
    const get = gcs.requests.find((r) => r.path.startsWith('/storage/v1/b/docs/o/'))!;
    expect(get.path).toBe(`/storage/v1/b/docs/o/${encodeURIComponent(name)}`);
    expect(get.query.get('alt')).toBe('media');
  });

  test('x-goog-hash parsing: two headers joined by fetch, base64 padding kept', () => {
    expect(parseGoogHash('crc32c=n03x6A==, md5=Ojk9c3dhfxgoKVVHYwFbHQ==')).toEqual({ crc32c: 'n03x6A==', md5: 'Ojk9c3dhfxgoKVVHYwFbHQ==' });
    expect(parseGoogHash(null)).toEqual({});
    expect(gcsFingerprint('gs://b/o', { md5: 'abc=', crc32c: 'x', size: 3 })).toBe('md5:abc=');
    expect(() => gcsFingerprint('gs://b/o', { size: 3 })).toThrow(/gs:\/\/b\/o has neither an MD5 nor a CRC32C/);
  });

  test('429 and 5xx are retried, then the call succeeds', async () => {
    gcs.put('docs', 'a.txt', 'A');
    gcs.fail((r) => r.path === '/storage/v1/b/docs/o', 503, 2);
    gcs.fail((r) => r.path === '/storage/v1/b/docs/o/a.txt', 429, 1);
    expect(await client.listDocuments('docs')).toHaveLength(1);
    expect(new TextDecoder().decode((await client.readDocument('docs', 'a.txt')).bytes)).toBe('A');
    expect(gcs.requests.map((r) => r.path)).toEqual(['/storage/v1/b/docs/o', '/storage/v1/b/docs/o', '/storage/v1/b/docs/o', '/storage/v1/b/docs/o/a.txt', '/storage/v1/b/docs/o/a.txt']);
  });

  test('errors name the bucket, object and status, are not retried when permanent, and never quote the document', async () => {
    gcs.put('docs', 'secret.txt', 'TOP SECRET CONTENT');
    const missing = await client.readDocument('docs', 'gone.txt').catch((e) => e);
    expect(missing).toBeInstanceOf(GoogleApiError);
    expect(missing.status).toBe(404);
    expect(missing.message).toContain('gs://docs/gone.txt');
    expect(missing.message).toContain('HTTP 404');
    expect(missing.message).toContain('No such object: docs/gone.txt');
    expect(gcs.requests).toHaveLength(1);

    gcs.fail((r) => r.path.endsWith('secret.txt'), 503, 10);
    const down = await new GcsClient({ baseUrl: gcs.baseUrl, accessToken: async () => 't', retry: { ...noWait, maxAttempts: 3 } }).readDocument('docs', 'secret.txt').catch((e) => e);
    expect(down.message).toMatch(/^cloud storage: reading gs:\/\/docs\/secret\.txt failed after 3 attempts \(HTTP 503\): .*Backend Error/);
    expect(down.message).not.toContain('TOP SECRET');

    const noToken = await new GcsClient({ baseUrl: gcs.baseUrl, accessToken: async () => Promise.reject(new Error('no ADC found')), retry: noWait }).listDocuments('docs').catch((e) => e);
    expect(noToken.message).toContain('no Google credentials: no ADC found');
    const anonymous = await new GcsClient({ baseUrl: gcs.baseUrl, accessToken: async () => '', retry: noWait }).listDocuments('docs').catch((e) => e);
    expect(anonymous.status).toBe(401);
    expect(anonymous.message).toContain('listing gs://docs');
  });
});

describe('Cloud Storage client: unconditional writes and deletes (the chunk texts)', () => {
  let gcs: GcsFake;
  let client: GcsClient;
  beforeEach(async () => {
    gcs = await GcsFake.start();
    client = new GcsClient({ baseUrl: gcs.baseUrl, accessToken: async () => 'ya29.test', retry: noWait });
  });
  afterEach(() => gcs.close());

  test('putObject replaces whatever is there, with no precondition, and returns the new generation', async () => {
    const first = gcs.put('state', 'chunks/a b.json', 'old');
    const generation = await client.putObject('state', 'chunks/a b.json', '{"x":1}', 'application/json');
    const stored = gcs.buckets.get('state')!.get('chunks/a b.json')!;
    expect(stored.bytes.toString('utf8')).toBe('{"x":1}');
    expect(stored.contentType).toBe('application/json');
    expect(generation).toBe(stored.generation);
    expect(generation).not.toBe(first.generation);
    const upload = gcs.requests[0];
    expect(upload).toMatchObject({ method: 'POST', path: '/upload/storage/v1/b/state/o' });
    expect(upload.query.get('name')).toBe('chunks/a b.json');
    expect(upload.query.get('uploadType')).toBe('media');
    expect(upload.query.has('ifGenerationMatch')).toBe(false);
  });

  test('deleteObject: DELETE of the encoded name (/ as %2F); true when it deleted, false on 404; 5xx retried', async () => {
    gcs.put('state', 'chunks/x.json', '{}');
    gcs.put('state', 'manifest.json', '{}');
    gcs.fail((r) => r.method === 'DELETE', 503, 1);
    expect(await client.deleteObject('state', 'chunks/x.json')).toBe(true);
    expect([...gcs.buckets.get('state')!.keys()]).toEqual(['manifest.json']);
    expect(await client.deleteObject('state', 'chunks/x.json')).toBe(false);
    expect(gcs.requests.map((r) => `${r.method} ${r.path}`)).toEqual(Array(3).fill('DELETE /storage/v1/b/state/o/chunks%2Fx.json'));

    gcs.fail((r) => r.method === 'DELETE', 403, 1);
    const denied = await client.deleteObject('state', 'manifest.json').catch((e) => e);
    expect(denied).toBeInstanceOf(GoogleApiError);
    expect(denied.message).toContain('deleting gs://state/manifest.json');
    expect(denied.message).toContain('HTTP 403');
    expect(gcs.buckets.get('state')!.has('manifest.json')).toBe(true);
  });
});

describe('GcsManifestStore', () => {
  let gcs: GcsFake;
  let store: GcsManifestStore;
  const manifest = (n: number): Manifest => ({ ...EMPTY_MANIFEST, pendingDeletes: [{ documentId: `doc-${n}`, sha256: 'a'.repeat(64), chunks: n }] });
  beforeEach(async () => {
    gcs = await GcsFake.start();
    gcs.bucket('state');
    store = new GcsManifestStore(new GcsClient({ baseUrl: gcs.baseUrl, accessToken: async () => 't', retry: noWait }), 'state');
  });
  afterEach(() => gcs.close());

  test('reads nothing before the first write, which requires that no object exists (ifGenerationMatch=0)', async () => {
    expect(await store.read()).toBeUndefined();
    const v1 = await store.write(manifest(1), undefined);
    const upload = gcs.requests.find((r) => r.method === 'POST')!;
    expect(upload.path).toBe('/upload/storage/v1/b/state/o');
    expect(upload.query.get('uploadType')).toBe('media');
    expect(upload.query.get('name')).toBe('manifest.json');
    expect(upload.query.get('ifGenerationMatch')).toBe('0');
    const stored = gcs.buckets.get('state')!.get('manifest.json')!;
    expect(v1).toBe(stored.generation);
    expect(stored.contentType).toBe('application/json');
    expect(await store.read()).toEqual({ manifest: manifest(1), version: v1 });
  });

  test('a write naming a generation that is no longer live fails with ManifestConflictError (412 conditionNotMet), not retried', async () => {
    const v1 = await store.write(manifest(1), undefined);
    const v2 = await store.write(manifest(2), v1);
    expect(v2).not.toBe(v1);
    const before = gcs.requests.length;
    const stale = await store.write(manifest(3), v1).catch((e) => e);
    expect(stale).toBeInstanceOf(ManifestConflictError);
    expect(stale.message).toContain(`gs://state/manifest.json is no longer at generation ${v1}`);
    expect(gcs.requests.length - before).toBe(1);
    // Nothing stored yet as far as this writer knows, but another run created it meanwhile.
    await expect(store.write(manifest(4), undefined)).rejects.toBeInstanceOf(ManifestConflictError);
    expect((await store.read())!.manifest).toEqual(manifest(2));
  });

  test('a 503 on a write is retried with the same precondition', async () => {
    gcs.fail((r) => r.method === 'POST', 503, 1);
    const v1 = await store.write(manifest(1), undefined);
    const uploads = gcs.requests.filter((r) => r.method === 'POST');
    expect(uploads.map((u) => u.query.get('ifGenerationMatch'))).toEqual(['0', '0']);
    expect((await store.read())!.version).toBe(v1);
  });

  test('a corrupt manifest stops the run instead of re-embedding the corpus', async () => {
    gcs.put('state', 'manifest.json', '{"formatVersion":2}', { contentType: 'application/json' });
    await expect(store.read()).rejects.toThrow(/manifest formatVersion: must be 1/);
  });
});
