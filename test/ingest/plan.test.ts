import { EMPTY_MANIFEST, type Manifest } from '../../lib/ingest/manifest';
import { planRun } from '../../lib/ingest/plan';

const h = (c: string) => c.repeat(64);
const entry = (id: string, sha: string, chunkIds: string[]) => ({ id, sha256: sha, fingerprint: sha, chunkIds, embeddedAt: '2026-01-01T00:00:00Z' });

describe('planRun', () => {
  const previous: Manifest = {
    formatVersion: 1,
    documents: { a: entry('a', h('a'), ['a1', 'a2']), b: entry('b', h('b'), ['b1']), c: entry('c', h('c'), ['c1', 'c2']) },
    pendingDeletes: ['x9'],
  };

  test('an empty manifest embeds every listed document', () => {
    const plan = planRun(EMPTY_MANIFEST, [{ id: 'a', fingerprint: h('a') }, { id: 'b', fingerprint: h('b') }]);
    expect(plan.embed.map((d) => d.id)).toEqual(['a', 'b']);
    expect(plan).toMatchObject({ skip: [], removed: [], deleteChunkIds: [] });
  });

  test('unchanged documents are skipped, changed ones re-embedded', () => {
    const plan = planRun(previous, [{ id: 'a', fingerprint: h('a') }, { id: 'b', fingerprint: h('e') }, { id: 'c', fingerprint: h('c') }]);
    expect(plan.skip).toEqual(['a', 'c']);
    expect(plan.embed).toEqual([{ id: 'b', fingerprint: h('e') }]);
    // the old chunks of a changed document are deleted by the run after its new ones are in, not planned up front
    expect(plan.deleteChunkIds).not.toContain('b1');
  });

  test('removed documents and leftover pending deletes are deleted', () => {
    const plan = planRun(previous, [{ id: 'a', fingerprint: h('a') }]);
    expect([...plan.removed].sort()).toEqual(['b', 'c']);
    expect([...plan.deleteChunkIds].sort()).toEqual(['b1', 'c1', 'c2', 'x9']);
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
