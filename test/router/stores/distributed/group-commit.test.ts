import { GroupCommit, type GroupCommitConfig, type Versioned, type WriteAnswer } from '../../../../lib/router/stores/distributed/group-commit';

interface Counter {
  n: number;
}

/** One record per key in memory, versioned by a counter; `answers` overrides what the next writes answer. */
function memoryStore() {
  const records = new Map<string, { n: number; version: number }>();
  const calls = { reads: 0, writes: 0 };
  const failReads: unknown[] = [];
  const answers: (WriteAnswer | Error)[] = [];
  const store = {
    async read(key: string): Promise<Versioned<Counter, number>> {
      calls.reads++;
      const fail = failReads.shift();
      if (fail) throw fail;
      const r = records.get(key);
      return { state: { n: r?.n ?? 0 }, version: r?.version };
    },
    async write(key: string, state: Counter, version: number | undefined): Promise<WriteAnswer> {
      calls.writes++;
      const answer = answers.shift();
      if (answer instanceof Error) throw answer;
      if (answer !== undefined && answer !== true) return answer;
      if (records.get(key)?.version !== version) return false;
      records.set(key, { n: state.n, version: (version ?? 0) + 1 });
      return true;
    },
  };
  return { store, records, calls, failReads, answers };
}

const AZURE_LIKE: GroupCommitConfig = { label: 'azure tables', backoff: { firstMs: 1, capMs: 50 } };
const add = (k: number) => (s: Counter) => {
  s.n += k;
  return { result: s.n, changed: k !== 0 };
};

afterEach(() => jest.restoreAllMocks());

test('operations queued on one key share one read and one write, each seeing the ones before it', async () => {
  const m = memoryStore();
  const commits = new GroupCommit(m.store, AZURE_LIKE);
  const first = commits.run('k', add(1));
  const rest = Promise.all([commits.run('k', add(2)), commits.run('k', add(3))]);
  expect(await first).toBe(1);
  expect(await rest).toEqual([3, 6]);
  expect(m.records.get('k')).toEqual({ n: 6, version: 2 });
  expect(m.calls).toEqual({ reads: 2, writes: 2 }); // the first alone, then the two that queued behind it
});

test('an operation that throws rejects alone; a batch that changes nothing is not written', async () => {
  const m = memoryStore();
  const commits = new GroupCommit(m.store, AZURE_LIKE);
  const boom = () => {
    throw new Error('refused');
  };
  const [a, b] = await Promise.allSettled([commits.run('k', boom), commits.run('k', add(0))]);
  expect(a).toMatchObject({ status: 'rejected', reason: new Error('refused') });
  expect(b).toEqual({ status: 'fulfilled', value: 0 });
  expect(m.calls.writes).toBe(0);
});

test('a conflict re-reads and re-applies; maxConflicts in a row fail the batch with the label and the quoted key', async () => {
  const m = memoryStore();
  const commits = new GroupCommit(m.store, { ...AZURE_LIKE, maxConflicts: 3 });
  m.answers.push(false, false);
  expect(await commits.run('k', add(5))).toBe(5);
  expect(m.calls).toEqual({ reads: 3, writes: 3 });
  m.answers.push(false, false, false);
  await expect(commits.run('k', add(1))).rejects.toThrow(new Error("azure tables: 3 conflicting writes in a row on 'k'; retry the request"));
});

test('a store may name the record and quote its last refusal', async () => {
  const m = memoryStore();
  const commits = new GroupCommit(m.store, { label: 'firestore', subject: (k) => `docs/${k}`, maxConflicts: 2, backoff: { firstMs: 2, capMs: 100 } });
  m.answers.push({ conflict: new Error('first') }, { conflict: new Error('second') });
  await expect(commits.run('k', add(1))).rejects.toThrow(new Error('firestore: 2 conflicting writes in a row on docs/k; retry the request (last: second)'));
});

test('without isTransient every failure fails the batch at once', async () => {
  const m = memoryStore();
  const commits = new GroupCommit(m.store, AZURE_LIKE);
  m.failReads.push(new Error('503'));
  await expect(commits.run('k', add(1))).rejects.toThrow('503');
  m.answers.push(new Error('write 503'));
  await expect(commits.run('k', add(1))).rejects.toThrow('write 503');
  expect(m.calls).toEqual({ reads: 2, writes: 1 });
});

test('transient failures are retried up to maxTransientFailures in a row; a conflict resets the count', async () => {
  const m = memoryStore();
  const transient = (err: unknown) => (err as Error).message.startsWith('transient');
  const commits = new GroupCommit(m.store, { ...AZURE_LIKE, isTransient: transient, maxTransientFailures: 3 });
  m.failReads.push(new Error('transient read'));
  m.answers.push(new Error('transient write'), false, new Error('transient write'), new Error('transient write'));
  expect(await commits.run('k', add(1))).toBe(1);
  expect(m.calls).toEqual({ reads: 6, writes: 5 });

  m.failReads.push(new Error('transient 1'), new Error('transient 2'), new Error('transient 3'));
  await expect(commits.run('k', add(1))).rejects.toThrow('transient 3');
  m.failReads.push(new Error('permanent'));
  await expect(commits.run('k', add(1))).rejects.toThrow('permanent');
});

test('retries wait a full-jitter exponential backoff: random below min(capMs, firstMs * 2^(n-1))', async () => {
  jest.spyOn(Math, 'random').mockReturnValue(1);
  const delays: number[] = [];
  const realSetTimeout = global.setTimeout;
  jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return realSetTimeout(fn, 0);
  }) as typeof setTimeout);
  const m = memoryStore();
  const commits = new GroupCommit(m.store, { ...AZURE_LIKE, maxConflicts: 10 });
  m.answers.push(...Array<WriteAnswer>(8).fill(false));
  await commits.run('k', add(1));
  expect(delays).toEqual([1, 2, 4, 8, 16, 32, 50, 50]);

  delays.length = 0;
  const firestoreLike = new GroupCommit(m.store, { label: 'firestore', backoff: { firstMs: 2, capMs: 100 }, isTransient: () => true });
  m.failReads.push(new Error('lost'));
  m.answers.push(...Array<WriteAnswer>(6).fill(false));
  await firestoreLike.run('k', add(1));
  expect(delays).toEqual([2, 4, 8, 16, 32, 64, 100]);
});
