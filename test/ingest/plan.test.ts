import { EMPTY_MANIFEST, type Manifest } from '../../lib/ingest/manifest';
import { planRun } from '../../lib/ingest/plan';

const h = (c: string) => c.repeat(64);
const entry = (id: string, sha: string, chunks: number) => ({ id, sha256: sha, fingerprint: sha, chunks, embeddedAt: '2026-01-01T00:00:00Z' });

describe('planRun', () => {
  const previous: Manifest = {
    formatVersion: 1,
    documents: { a: entry('a', h('a'), 2), b: entry('b', h('b'), 1), c: entry('c', h('c'), 2) },
    pendingDeletes: [{ documentId: 'x', sha256: h('9'), chunks: 1 }],
  };

  test('an empty manifest embeds every listed document', () => {
    const plan = planRun(EMPTY_MANIFEST, [{ id: 'a', fingerprint: h('a') }, { id: 'b', fingerprint: h('b') }]);
    expect(plan.embed.map((d) => d.id)).toEqual(['a', 'b']);
    expect(plan).toMatchObject({ skip: [], removed: [] });
  });

  test('unchanged documents are skipped, changed ones re-embedded', () => {
    const plan = planRun(previous, [{ id: 'a', fingerprint: h('a') }, { id: 'b', fingerprint: h('e') }, { id: 'c', fingerprint: h('c') }]);
    expect(plan.skip).toEqual(['a', 'c']);
    expect(plan.embed).toEqual([{ id: 'b', fingerprint: h('e') }]);
    expect(plan.removed).toEqual([]);
  });

  test('documents the listing no longer has are removed', () => {
    const plan = planRun(previous, [{ id: 'a', fingerprint: h('a') }]);
    expect([...plan.removed].sort()).toEqual(['b', 'c']);
    expect(plan.embed).toEqual([]);
  });

  test('a new document is embedded', () => {
    const plan = planRun(previous, [{ id: 'a', fingerprint: h('a') }, { id: 'b', fingerprint: h('b') }, { id: 'c', fingerprint: h('c') }, { id: 'd', fingerprint: h('d') }]);
    expect(plan.embed.map((d) => d.id)).toEqual(['d']);
    expect(plan.removed).toEqual([]);
  });

  test('a document id that is an Object.prototype key is not mistaken for a known one', () => {
    const plan = planRun(EMPTY_MANIFEST, [{ id: 'constructor', fingerprint: h('a') }]);
    expect(plan.embed.map((d) => d.id)).toEqual(['constructor']);
  });

  test('a listing naming a document twice is refused', () => {
    expect(() => planRun(EMPTY_MANIFEST, [{ id: 'a', fingerprint: h('a') }, { id: 'a', fingerprint: h('b') }])).toThrow(/twice/);
  });
});
