import { createHash } from 'node:crypto';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { BlobManifestStore, BlobStoreError, listDocuments, readDocument } from '../../../lib/ingest/azure/blob';
import { EMPTY_MANIFEST, ManifestConflictError, type Manifest } from '../../../lib/ingest/manifest';
import { azuriteService, startAzuriteBlob, type AzuriteBlob } from './azurite-blob';

let az: AzuriteBlob;
let service: BlobServiceClient;
let containers = 0;

beforeAll(async () => {
  az = await startAzuriteBlob();
  service = azuriteService(az.endpoint);
}, 30_000);
afterAll(() => az.stop());

async function freshContainer(): Promise<ContainerClient> {
  const c = service.getContainerClient(`box${++containers}`);
  await c.create();
  return c;
}

const md5 = (s: string) => `md5:${createHash('md5').update(s).digest('base64')}`;

async function put(c: ContainerClient, name: string, text: string, contentType = 'text/plain') {
  return c.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: contentType } });
}

describe('listDocuments', () => {
  test('reads every page (page size 2 over 7 blobs), skips folder placeholders, fingerprints by Content-MD5', async () => {
    const c = await freshContainer();
    const texts = new Map<string, string>();
    for (let i = 0; i < 7; i++) texts.set(`docs/${i}.txt`, `document number ${i}`);
    for (const [name, text] of texts) await put(c, name, text);
    await put(c, 'docs/', '');
    await c.getBlockBlobClient('lake-dir').upload('', 0, { metadata: { hdi_isfolder: 'true' } });

    const listed = await listDocuments(c, { pageSize: 2 });

    expect(listed.map((d) => d.id).sort()).toEqual([...texts.keys()].sort());
    for (const d of listed) expect(d.fingerprint).toBe(md5(texts.get(d.id)!));
  });

  test('the fingerprint changes when a blob is rewritten with other bytes, not when the bytes are the same', async () => {
    const c = await freshContainer();
    await put(c, 'a.md', '# one');
    const [first] = await listDocuments(c);
    await put(c, 'a.md', '# one');
    const [same] = await listDocuments(c);
    await put(c, 'a.md', '# two');
    const [changed] = await listDocuments(c);
    expect(same.fingerprint).toBe(first.fingerprint);
    expect(changed.fingerprint).toBe(md5('# two'));
    expect(changed.fingerprint).not.toBe(first.fingerprint);
  });

  test('a blob committed from blocks without an MD5 is fingerprinted by its ETag, which every rewrite changes', async () => {
    const c = await freshContainer();
    const blob = c.getBlockBlobClient('blocks.txt');
    const commit = async (text: string) => {
      const id = Buffer.from('block-0001').toString('base64');
      await blob.stageBlock(id, text, Buffer.byteLength(text));
      return blob.commitBlockList([id]);
    };
    const committed = await commit('from blocks');
    const [first] = await listDocuments(c);
    const recommitted = await commit('from blocks');
    const [second] = await listDocuments(c);
    const bare = (etag: string | undefined) => etag!.replace(/"/g, '');
    expect(first.fingerprint).toBe(`etag:${bare(committed.etag)}`);
    expect(second.fingerprint).toBe(`etag:${bare(recommitted.etag)}`);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    // Get Blob quotes the ETag, List Blobs does not: the read must match the listing, or it re-embeds every run.
    expect((await readDocument(c, 'blocks.txt')).fingerprint).toBe(second.fingerprint);
  });

  test('a missing container is an error naming it', async () => {
    await expect(listDocuments(service.getContainerClient('nosuch'))).rejects.toThrow(/listing container nosuch: HTTP 404 ContainerNotFound: the container does not exist/);
  });
});

describe('readDocument', () => {
  test('returns the bytes, the content type and the fingerprint of the version read, even when newer than the listing', async () => {
    const c = await freshContainer();
    await put(c, 'page.html', '<p>old</p>', 'text/html');
    const [listed] = await listDocuments(c);
    await put(c, 'page.html', '<p>new</p>', 'text/html');

    const read = await readDocument(c, 'page.html');

    expect(Buffer.from(read.bytes).toString('utf8')).toBe('<p>new</p>');
    expect(read.contentType).toBe('text/html');
    expect(read.fingerprint).toBe(md5('<p>new</p>'));
    expect(read.fingerprint).not.toBe(listed.fingerprint);
  });

  test('a blob gone since the listing is an error naming it', async () => {
    const c = await freshContainer();
    await expect(readDocument(c, 'gone.txt')).rejects.toThrow(BlobStoreError);
    await expect(readDocument(c, 'gone.txt')).rejects.toThrow(/reading blob box\d+\/gone.txt: HTTP 404 BlobNotFound/);
  });
});

describe('BlobManifestStore', () => {
  const manifest = (n: number): Manifest => ({ ...EMPTY_MANIFEST, pendingDeletes: [{ documentId: `doc-${n}`, sha256: 'a'.repeat(64), chunks: n }] });

  test('reads nothing before the first write, then what was written, with its ETag as the version', async () => {
    const c = await freshContainer();
    const store = new BlobManifestStore(c);
    expect(await store.read()).toBeUndefined();
    const v1 = await store.write(manifest(1), undefined);
    const props = await c.getBlobClient('manifest.json').getProperties();
    expect(v1).toBe(props.etag);
    expect(props.contentType).toBe('application/json');
    expect(await store.read()).toEqual({ manifest: manifest(1), version: v1 });
    const v2 = await store.write(manifest(2), v1);
    expect(v2).not.toBe(v1);
    expect(await store.read()).toEqual({ manifest: manifest(2), version: v2 });
  });

  test('two runs that read the same version: exactly one write wins, the other is a ManifestConflictError', async () => {
    const c = await freshContainer();
    const a = new BlobManifestStore(c);
    const b = new BlobManifestStore(c);
    const v = await a.write(manifest(0), undefined);
    const results = await Promise.allSettled([a.write(manifest(1), v), b.write(manifest(2), v)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toBeInstanceOf(ManifestConflictError);
    expect(String(lost[0].reason.message)).toMatch(/another ingestion run overlapped/);
    // The stored manifest is the winner's, whole.
    const stored = await a.read();
    expect(stored!.version).toBe((won[0] as PromiseFulfilledResult<string>).value);
    expect([manifest(1), manifest(2)]).toContainEqual(stored!.manifest);
  });

  test('a first write when a manifest already exists (If-None-Match: *) is a conflict, not an overwrite', async () => {
    const c = await freshContainer();
    const store = new BlobManifestStore(c);
    const v = await store.write(manifest(1), undefined);
    await expect(store.write(manifest(2), undefined)).rejects.toThrow(ManifestConflictError);
    expect(await store.read()).toEqual({ manifest: manifest(1), version: v });
  });

  test('a corrupt manifest stops the run with the field at fault', async () => {
    const c = await freshContainer();
    await put(c, 'manifest.json', '{"formatVersion":1,"documents":{},"pendingDeletes":"x"}', 'application/json');
    await expect(new BlobManifestStore(c).read()).rejects.toThrow(/manifest pendingDeletes: must be an array of chunk groups/);
  });
});
