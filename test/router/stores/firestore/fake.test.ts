/** The fake's own semantics, checked against what Firestore answers (see the header of support/firestore-fake.ts). */
import { startFirestoreFake, startFirestoreFakeProcess, type FirestoreFake } from '../support/firestore-fake';

let fs: FirestoreFake;
const db = 'projects/fake/databases/(default)';
beforeAll(async () => {
  fs = await startFirestoreFake();
});
afterAll(() => fs.stop());

interface Answer {
  status: number;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(method: string, body?: unknown, o: { get?: string; auth?: boolean; baseUrl?: string } = {}): Promise<Answer> {
  const url = o.get !== undefined ? `${o.baseUrl ?? fs.baseUrl}/v1/${db}/documents/${o.get}` : `${o.baseUrl ?? fs.baseUrl}/v1/${db}/documents:${method}`;
  const res = await fetch(url, {
    method: o.get !== undefined ? 'GET' : 'POST',
    headers: { ...(o.auth === false ? {} : { authorization: 'Bearer t' }), 'content-type': 'application/json' },
    body: o.get !== undefined ? undefined : JSON.stringify(body ?? {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

let seq = 0;
const fresh = () => `${db}/documents/c/d${++seq}`;
const update = (name: string, fields: object, currentDocument?: object) => ({ update: { name, fields }, ...(currentDocument ? { currentDocument } : {}) });
const commit = (writes: object[], transaction?: string) => call('commit', { writes, ...(transaction ? { transaction } : {}) });
const micros = (t: string) => {
  const [, frac = ''] = /\.(\d+)Z$/.exec(t) ?? [];
  return Date.parse(t.replace(/\.\d+Z$/, 'Z')) * 1000 + Number(frac.padEnd(6, '0'));
};

test('every request needs a bearer token: 401 UNAUTHENTICATED in Google\'s error shape', async () => {
  const a = await call('commit', { writes: [] }, { auth: false });
  expect(a.status).toBe(401);
  expect(a.body).toEqual({ error: { code: 401, message: expect.stringMatching(/^Request is missing required authentication credential/), status: 'UNAUTHENTICATED' } });
});

test('GET: the document, or 404 NOT_FOUND', async () => {
  const name = fresh();
  const missing = await call('', undefined, { get: name.split('/documents/')[1] });
  expect(missing).toEqual({ status: 404, body: { error: { code: 404, message: `Document "${name}" not found.`, status: 'NOT_FOUND' } } });
  const w = await commit([update(name, { n: { integerValue: 7 }, s: { stringValue: 'x' }, m: { mapValue: {} }, a: { arrayValue: {} } })]);
  expect(w.status).toBe(200);
  const got = await call('', undefined, { get: name.split('/documents/')[1] });
  expect(got.status).toBe(200);
  // integers answered as strings, empty maps and arrays without fields/values
  expect(got.body).toEqual({ name, fields: { n: { integerValue: '7' }, s: { stringValue: 'x' }, m: { mapValue: {} }, a: { arrayValue: {} } }, createTime: w.body.commitTime, updateTime: w.body.commitTime });
});

test('commit preconditions answer as Firestore does', async () => {
  const name = fresh();
  const created = await commit([update(name, { v: { integerValue: '1' } }, { exists: false })]);
  expect(created.status).toBe(200);
  const t1 = created.body.writeResults[0].updateTime as string;
  expect(await commit([update(name, { v: { integerValue: '2' } }, { exists: false })])).toEqual({ status: 409, body: { error: { code: 409, message: `Document already exists: ${name}`, status: 'ALREADY_EXISTS' } } });
  expect(await commit([update(fresh(), {}, { exists: true })])).toMatchObject({ status: 404, body: { error: { status: 'NOT_FOUND', message: expect.stringMatching(/^No document to update: /) } } });
  const t2 = (await commit([update(name, { v: { integerValue: '2' } }, { updateTime: t1 })])).body.writeResults[0].updateTime as string;
  expect(micros(t2)).toBeGreaterThan(micros(t1));
  const stale = await commit([update(name, { v: { integerValue: '3' } }, { updateTime: t1 })]);
  expect(stale).toEqual({ status: 400, body: { error: { code: 400, message: `the stored version (${micros(t2)}) does not match the required base version (${micros(t1)})`, status: 'FAILED_PRECONDITION' } } });
  expect((await commit([update(fresh(), {}, { updateTime: t1 })])).body.error.status).toBe('FAILED_PRECONDITION');
  // A write that changes nothing keeps the update time.
  expect((await commit([update(name, { v: { integerValue: '2' } }, { updateTime: t2 })])).body.writeResults[0].updateTime).toBe(t2);
});

test('a commit is atomic: one failed precondition, no write applied', async () => {
  const [a, b] = [fresh(), fresh()];
  await commit([update(b, {})]);
  expect((await commit([update(a, { x: { stringValue: 'a' } }), update(b, {}, { exists: false })])).status).toBe(409);
  expect((await call('batchGet', { documents: [a] })).body).toEqual([{ missing: a, readTime: expect.any(String) }]);
});

test('update times are strictly increasing, microsecond RFC 3339', async () => {
  const names = Array.from({ length: 20 }, fresh);
  const times = await Promise.all(names.map(async (n) => (await commit([update(n, {})])).body.commitTime as string));
  const sorted = times.map(micros).sort((x, y) => x - y);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i]).toBeGreaterThan(sorted[i - 1]);
  for (const t of times) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?Z$/);
});

test('values are validated and normalized', async () => {
  const name = fresh();
  for (const bad of [{ integerValue: '1.5' }, { integerValue: '9223372036854775808' }, { integerValue: 1e21 }, { stringValue: 'x', integerValue: '1' }, { arrayValue: { values: [{ arrayValue: {} }] } }, { timestampValue: 'yesterday' }]) {
    expect((await commit([update(name, { v: bad })])).body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
  }
  await commit([update(name, { max: { integerValue: '-9223372036854775808' }, t: { timestampValue: '2026-12-01T01:00:00.123456789+01:00' }, z: { timestampValue: '2026-12-01T00:00:00.000Z' } })]);
  expect((await call('batchGet', { documents: [name] })).body[0].found.fields).toEqual({ max: { integerValue: '-9223372036854775808' }, t: { timestampValue: '2026-12-01T00:00:00.123456Z' }, z: { timestampValue: '2026-12-01T00:00:00Z' } });
});

describe('transactions', () => {
  test('a commit after a document the transaction read was changed is ABORTED; an untouched one commits', async () => {
    const name = fresh();
    await commit([update(name, { v: { integerValue: '1' } })]);
    const tx = (await call('beginTransaction', { options: { readWrite: {} } })).body.transaction as string;
    const read = await call('', undefined, { get: `${name.split('/documents/')[1]}?transaction=${encodeURIComponent(tx)}` });
    expect(read.body.fields).toEqual({ v: { integerValue: '1' } });
    await commit([update(name, { v: { integerValue: '5' } })]); // someone else, outside the transaction
    expect(await commit([update(name, { v: { integerValue: '2' } })], tx)).toEqual({ status: 409, body: { error: { code: 409, message: 'Too much contention on these documents. Please try again.', status: 'ABORTED' } } });
    // The transaction is over; a retry begins a new one (retryTransaction is accepted).
    expect((await commit([], tx)).body.error).toMatchObject({ status: 'INVALID_ARGUMENT', message: 'The referenced transaction has expired or is no longer valid.' });
    const retry = (await call('beginTransaction', { options: { readWrite: { retryTransaction: tx } } })).body.transaction as string;
    expect((await call('batchGet', { documents: [name], transaction: retry })).body[0].found.fields).toEqual({ v: { integerValue: '5' } });
    const ok = await commit([update(name, { v: { integerValue: '6' } })], retry);
    expect(ok.status).toBe(200);
  });

  test('a missing document read in a transaction and created meanwhile aborts it; newTransaction and rollback', async () => {
    const name = fresh();
    const first = await call('batchGet', { documents: [name], newTransaction: { readWrite: {} } });
    expect(first.body).toEqual([{ missing: name, readTime: expect.any(String), transaction: expect.any(String) }]);
    const tx = first.body[0].transaction as string;
    await commit([update(name, {})]);
    expect((await commit([update(name, { v: { integerValue: '1' } })], tx)).body.error.status).toBe('ABORTED');

    const other = (await call('beginTransaction', {})).body.transaction as string;
    expect((await call('rollback', { transaction: other })).body).toEqual({});
    expect((await call('rollback', { transaction: other })).body.error.status).toBe('INVALID_ARGUMENT');
    expect((await call('beginTransaction', { options: { readOnly: {} } })).body.error.message).toMatch(/not modelled/);
  });
});

test('failNext answers a request with an injected error', async () => {
  fs.failNext('batchGet', { code: 403, status: 'PERMISSION_DENIED', message: 'Missing or insufficient permissions.' });
  expect(await call('batchGet', { documents: [fresh()] })).toEqual({ status: 403, body: { error: { code: 403, message: 'Missing or insufficient permissions.', status: 'PERMISSION_DENIED' } } });
  expect((await call('batchGet', { documents: [fresh()] })).status).toBe(200);
});

test('in a process of its own, shared by clients in other processes', async () => {
  const p = await startFirestoreFakeProcess();
  try {
    const name = fresh();
    expect((await call('commit', { writes: [update(name, { v: { stringValue: 'child' } })] }, { baseUrl: p.baseUrl })).status).toBe(200);
    expect((await call('batchGet', { documents: [name] }, { baseUrl: p.baseUrl })).body[0].found.fields).toEqual({ v: { stringValue: 'child' } });
  } finally {
    await p.stop();
  }
}, 30_000);
