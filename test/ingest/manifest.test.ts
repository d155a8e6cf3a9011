import { decodeManifest, encodeManifest, InMemoryManifestStore, ManifestConflictError, ManifestFormatError, type Manifest } from '../../lib/ingest/manifest';

const good: Manifest = {
  formatVersion: 1,
  documents: { 'docs/a.md': { id: 'docs/a.md', sha256: 'a'.repeat(64), fingerprint: 'md5:1B2M2Y8AsgTpgAmY7PhCfg==', chunks: 2, embeddedAt: '2026-01-01T00:00:00.000Z' } },
  pendingDeletes: [{ documentId: 'docs/old.md', sha256: 'b'.repeat(64), chunks: 3 }],
  lastRun: {
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    documentsSeen: 1,
    documentsChanged: 1,
    documentsRemoved: 0,
    documentsSkipped: 1,
    skipped: [{ id: 'docs/b.pdf', reason: 'unreadable PDF: it is encrypted' }],
    chunksEmbedded: 2,
    embeddingTokens: 40,
    costUsd: 0.000001,
    lastSuccessAt: '2026-01-01T00:01:00.000Z',
  },
};

const withDoc = (patch: Record<string, unknown>) =>
  JSON.stringify({ ...good, documents: { 'docs/a.md': { ...good.documents['docs/a.md'], ...patch } } });

describe('manifest encoding', () => {
  test('round-trips', () => {
    expect(decodeManifest(encodeManifest(good))).toEqual(good);
  });

  test.each([
    ['not JSON', '{', '(root)'],
    ['wrong format version', JSON.stringify({ ...good, formatVersion: 2 }), 'formatVersion'],
    ['documents not an object', JSON.stringify({ ...good, documents: [] }), 'documents'],
    ['bad sha256', withDoc({ sha256: 'xyz' }), 'documents["docs/a.md"].sha256'],
    ['no fingerprint', withDoc({ fingerprint: '' }), 'documents["docs/a.md"].fingerprint'],
    ['id differs from key', withDoc({ id: 'other' }), 'documents["docs/a.md"].id'],
    ['a chunk count that is not whole', withDoc({ chunks: 1.5 }), 'documents["docs/a.md"].chunks'],
    ['a pending group with a bad sha256', JSON.stringify({ ...good, pendingDeletes: [{ documentId: 'd', sha256: 'x', chunks: 1 }] }), 'pendingDeletes[0].sha256'],
    ['bad time', withDoc({ embeddedAt: 'yesterday' }), 'documents["docs/a.md"].embeddedAt'],
    ['pendingDeletes missing', JSON.stringify({ ...good, pendingDeletes: undefined }), 'pendingDeletes'],
    ['a skipped entry without its reason', JSON.stringify({ ...good, lastRun: { ...good.lastRun, skipped: [{ id: 'docs/b.pdf' }] } }), 'lastRun.skipped[0].reason'],
    ['negative count', JSON.stringify({ ...good, lastRun: { ...good.lastRun, chunksEmbedded: -1 } }), 'lastRun.chunksEmbedded'],
  ])('%s: the error names the field', (_name, json, path) => {
    let error: unknown;
    try {
      decodeManifest(json);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ManifestFormatError);
    expect((error as ManifestFormatError).path).toBe(path);
    expect((error as Error).message).toContain(path);
  });
});

describe('InMemoryManifestStore', () => {
  test('reads nothing before the first write, then what was written', async () => {
    const store = new InMemoryManifestStore();
    expect(await store.read()).toBeUndefined();
    const v = await store.write(good, undefined);
    expect(await store.read()).toEqual({ manifest: good, version: v });
  });

  test('compare-and-set: a write naming a stale version is refused', async () => {
    const store = new InMemoryManifestStore();
    const v1 = await store.write(good, undefined);
    const v2 = await store.write(good, v1);
    expect(v2).not.toBe(v1);
    await expect(store.write(good, v1)).rejects.toBeInstanceOf(ManifestConflictError);
    await expect(store.write(good, undefined)).rejects.toBeInstanceOf(ManifestConflictError);
    expect(store.writes).toBe(2);
  });
});
