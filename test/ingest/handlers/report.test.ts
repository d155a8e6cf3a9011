import { FRESHNESS_EVENT, RUN_EVENT } from '../../../lib/ingest/deploy-env';
import { probeAndReport, runAndReport } from '../../../lib/ingest/handlers/report';
import { InMemoryManifestStore } from '../../../lib/ingest/manifest';
import type { IndexedChunk, IngestSeams } from '../../../lib/ingest/run';

const T0 = new Date('2026-12-01T03:00:00.000Z');
const DOCS: Record<string, string> = { 'docs/a.txt': 'alpha one\n\nalpha two', 'docs/b.txt': 'beta' };

/** Seams over two in-memory documents; `failWith` makes the listing fail. */
function seams(manifest: InMemoryManifestStore, options: { failWith?: unknown; at?: Date } = {}): IngestSeams & { index: Map<string, IndexedChunk> } {
  const index = new Map<string, IndexedChunk>();
  return {
    index,
    listDocuments: async () => {
      if (options.failWith !== undefined) throw options.failWith;
      return Object.keys(DOCS).map((id) => ({ id, fingerprint: `v1:${DOCS[id].length}` }));
    },
    readDocument: async (id) => ({ bytes: new TextEncoder().encode(DOCS[id]), fingerprint: `v1:${DOCS[id].length}` }),
    chunk: ({ bytes }) => new TextDecoder().decode(bytes).split('\n\n'),
    embed: async (texts) => ({ vectors: texts.map((t) => [t.length, 1]), tokens: texts.length * 7 }),
    upsertChunks: async (chunks) => {
      for (const c of chunks) index.set(c.id, c);
    },
    deleteChunks: async (ids) => {
      for (const id of ids) index.delete(id);
    },
    manifest,
    now: () => options.at ?? T0,
    costPerMillionTokensUsd: 20,
  };
}

describe('runAndReport', () => {
  it('a success writes the run record as the succeeded-run event and returns it', async () => {
    const lines: string[] = [];
    const manifest = new InMemoryManifestStore();
    const s = seams(manifest);
    const record = await runAndReport('docs', s, (l) => lines.push(l));
    // The record is runIngestion's (run.test.ts checks it whole); here, that it is the run's and is reported.
    expect(record).toEqual(expect.objectContaining({
      startedAt: T0.toISOString(), finishedAt: T0.toISOString(), lastSuccessAt: T0.toISOString(),
      documentsSeen: 2, documentsChanged: 2, documentsRemoved: 0, chunksEmbedded: 3, embeddingTokens: 21, costUsd: (21 * 20) / 1e6,
    }));
    expect(s.index.size).toBe(3);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual({ event: RUN_EVENT, severity: 'INFO', outcome: 'succeeded', name: 'docs', ...record });
    expect((await manifest.read())?.manifest.lastRun).toEqual(record);
  });

  it('a failure writes the failed-run event, its error clipped to one line, and throws the error again', async () => {
    const lines: string[] = [];
    const error = new TypeError(`listing failed\n${'x'.repeat(5000)}`);
    const manifest = new InMemoryManifestStore();
    await expect(runAndReport('docs', seams(manifest, { failWith: error }), (l) => lines.push(l))).rejects.toBe(error);
    expect(lines).toHaveLength(1);
    const event = JSON.parse(lines[0]);
    expect(event).toEqual({ event: RUN_EVENT, severity: 'ERROR', outcome: 'failed', name: 'docs', startedAt: T0.toISOString(), error: expect.any(String) });
    expect(event.error.startsWith('TypeError: listing failed\\nxxx')).toBe(true);
    expect(event.error).not.toContain('\n');
    expect(event.error.length).toBeLessThan(300);
    expect(event.error).toMatch(/\(\d+ more characters\)$/);
    expect(await manifest.read()).toBeUndefined(); // nothing recorded as done
  });

  it('a thrown non-Error is reported by its text and thrown as is', async () => {
    const lines: string[] = [];
    await expect(runAndReport('docs', seams(new InMemoryManifestStore(), { failWith: 'socket hang up' }), (l) => lines.push(l))).rejects.toBe('socket hang up');
    expect(JSON.parse(lines[0]).error).toBe('socket hang up');
  });
});

describe('probeAndReport', () => {
  it('before any successful run: the freshness event without an age', async () => {
    const lines: string[] = [];
    await probeAndReport('docs', new InMemoryManifestStore(), T0, (l) => lines.push(l));
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ event: FRESHNESS_EVENT, severity: 'INFO', name: 'docs' }]);
  });

  it('after a failed run only: still no age (a failure is not freshness)', async () => {
    const manifest = new InMemoryManifestStore();
    await runAndReport('docs', seams(manifest, { failWith: new Error('boom') }), () => undefined).catch(() => undefined);
    const lines: string[] = [];
    await probeAndReport('docs', manifest, T0, (l) => lines.push(l));
    expect(JSON.parse(lines[0])).toEqual({ event: FRESHNESS_EVENT, severity: 'INFO', name: 'docs' });
  });

  it("the index's age in seconds since the last successful run, which a later failure does not reset", async () => {
    const manifest = new InMemoryManifestStore();
    await runAndReport('docs', seams(manifest), () => undefined);
    const later = new Date(T0.getTime() + 90 * 60_000);
    await runAndReport('docs', seams(manifest, { failWith: new Error('boom'), at: later }), () => undefined).catch(() => undefined);
    const lines: string[] = [];
    await probeAndReport('docs', manifest, new Date(later.getTime() + 1500), (l) => lines.push(l));
    expect(JSON.parse(lines[0])).toEqual({ event: FRESHNESS_EVENT, severity: 'INFO', name: 'docs', lastSuccessAt: T0.toISOString(), ageSeconds: 90 * 60 + 2 });
  });
});
