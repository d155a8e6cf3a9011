import { FirestoreLedger, FirestoreRateLimiter, metadataServerToken } from '../../../../lib/router/stores/firestore';
import { FIRESTORE_LEDGER_DOCUMENT, FIRESTORE_RATE_DOCUMENT, ledgerDocumentId } from '../../../../lib/router/stores/firestore/schema';
import type { Reservation, ReserveResult } from '../../../../lib/router/stores/ledger';
import { createServer, type AddressInfo } from 'node:net';
import { startFirestoreFake, startMetadataFake, type FirestoreFake, type MetadataFake } from '../support/firestore-fake';

let fs: FirestoreFake;
const database = 'projects/operations/databases/(default)';
const getAccessToken = async () => 'operations-token';
const docUrl = (path: string) => `${fs.baseUrl}/v1/${database}/documents/${path}`;
const auth = { authorization: 'Bearer operations-token' };

beforeAll(async () => {
  fs = await startFirestoreFake();
});
afterAll(() => fs.stop());

let seq = 0;
const fresh = () => `ops-${++seq}`;
const MONTH = '2026-12';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function granted(r: ReserveResult): Reservation {
  if (!r.ok) throw new Error(`expected a reservation, got ${JSON.stringify(r)}`);
  return r.reservation;
}

async function rawDocument(path: string): Promise<{ name: string; fields: Record<string, unknown>; updateTime: string }> {
  const res = await fetch(docUrl(path), { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as { name: string; fields: Record<string, unknown>; updateTime: string };
}

/** A fetch that sees every request and response the store makes; `before` may act before a request is sent. */
function spyFetch(before?: (op: string, n: number) => Promise<void> | void) {
  const seen: { op: string; status: number; error?: string }[] = [];
  const counts: Record<string, number> = {};
  const f: typeof fetch = async (input, init) => {
    const op = String(input).split(':').pop()!;
    counts[op] = (counts[op] ?? 0) + 1;
    await before?.(op, counts[op]);
    const res = await fetch(input, init);
    const body = await res.clone().text();
    seen.push({ op, status: res.status, error: res.ok ? undefined : (JSON.parse(body) as { error: { status: string } }).error.status });
    return res;
  };
  return { fetch: f, seen, counts };
}

describe('document layout', () => {
  test('one ledger document per tenant-month with integer amounts and a map of open reservations', async () => {
    const tenant = fresh();
    const ledger = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken, clock: () => Date.UTC(2026, 11, 1) });
    const a = granted(await ledger.reserve({ tenant, month: MONTH, amountNanoUsd: 600, limitNanoUsd: 10_000_000_000_000 }));
    const b = granted(await ledger.reserve({ tenant, month: MONTH, amountNanoUsd: 9_007_199_254_740_991 - 600, limitNanoUsd: Number.MAX_SAFE_INTEGER }));
    await ledger.settle(a, 599);
    expect(FIRESTORE_LEDGER_DOCUMENT.path).toBe('ai-stack-ledger/{tenant}_{YYYY-MM}');
    expect(ledgerDocumentId(tenant, MONTH)).toBe(`${tenant}_2026-12`);
    const doc = await rawDocument(`ai-stack-ledger/${tenant}_2026-12`);
    expect(doc.name).toBe(`${database}/documents/ai-stack-ledger/${tenant}_2026-12`);
    expect(doc.fields).toEqual({
      tenant: { stringValue: tenant },
      month: { stringValue: MONTH },
      spent: { integerValue: '599' },
      // exact at 2^53 - 601: integerValue is an int64 decimal string, never a double
      reserved: { integerValue: '9007199254740391' },
      open: { mapValue: { fields: { [b.id]: { mapValue: { fields: { a: { integerValue: '9007199254740391' }, e: { timestampValue: '2026-12-01T00:16:00Z' } } } } } } },
      expired: { mapValue: {} },
    });
    expect(await ledger.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 599, reservedNanoUsd: 9_007_199_254_740_391 });
  });

  test('one rate document per tenant: the 7-slot ring and its sums', async () => {
    const tenant = fresh();
    const limiter = new FirestoreRateLimiter({ baseUrl: fs.baseUrl, database, getAccessToken, rateCollection: 'rates' });
    const nowMs = Date.UTC(2026, 11, 1, 12, 0, 1);
    expect(await limiter.admit({ tenant, tokens: 250, requestsPerMinute: 10, tokensPerMinute: 1000, nowMs })).toEqual({ ok: true });
    expect(FIRESTORE_RATE_DOCUMENT.path).toBe('ai-stack-rate/{tenant}');
    const doc = await rawDocument(`rates/${tenant}`);
    const j = Math.floor(nowMs / 10_000);
    const slots = (doc.fields.slots as { arrayValue: { values: { mapValue: { fields: Record<string, { integerValue: string }> } }[] } }).arrayValue.values;
    expect(slots).toHaveLength(7);
    expect(slots[j % 7].mapValue.fields).toEqual({ b: { integerValue: String(j) }, n: { integerValue: '1' }, t: { integerValue: '250' } });
    expect(doc.fields.n).toEqual({ integerValue: '1' });
    expect(doc.fields.t).toEqual({ integerValue: '250' });
  });

  test('ids Firestore cannot hold are refused before any request', async () => {
    const ledger = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken });
    await expect(ledger.reserve({ tenant: 'a/b', month: MONTH, amountNanoUsd: 1, limitNanoUsd: 1 })).rejects.toThrow(/cannot be part of a document id/);
    await expect(ledger.spent('__x__', MONTH)).rejects.toThrow(/cannot be part of a document id/);
    await expect(ledger.spent('t', '2026_12')).rejects.toThrow(/may not contain '_'/);
    expect(() => new FirestoreLedger({ baseUrl: fs.baseUrl, database: 'acme', getAccessToken })).toThrow(/projects\/<project>\/databases\/<database>/);
  });
});

test('the documented month reset (a commit of spent with an updateTime precondition) zeroes the spend and keeps requests in flight', async () => {
  const tenant = fresh();
  const ledger = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken });
  const month = { tenant, month: MONTH, limitNanoUsd: 1000 };
  const a = granted(await ledger.reserve({ ...month, amountNanoUsd: 600 }));
  const b = granted(await ledger.reserve({ ...month, amountNanoUsd: 300 }));
  await ledger.settle(a, 600);
  // What the curl command in docs/router-ledgers.md sends.
  const { name, updateTime } = await rawDocument(`ai-stack-ledger/${tenant}_${MONTH}`);
  const reset = () =>
    fetch(`${fs.baseUrl}/v1/${database}/documents:commit`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ writes: [{ update: { name, fields: { spent: { integerValue: '0' } } }, updateMask: { fieldPaths: ['spent'] }, currentDocument: { updateTime } }] }),
    });
  expect((await reset()).status).toBe(200);
  expect(await ledger.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 300 });
  expect((await ledger.reserve({ ...month, amountNanoUsd: 700 })).ok).toBe(true);
  await ledger.settle(b, 100);
  expect(await ledger.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 100, reservedNanoUsd: 700 });
  // A stale updateTime is refused: the reset cannot overwrite a request that settled in between.
  const stale = await reset();
  expect(stale.status).toBe(400);
  expect(((await stale.json()) as { error: { status: string } }).error.status).toBe('FAILED_PRECONDITION');
});

describe('idempotent by reservation id', () => {
  /** The commit reaches the database but its answer is lost, once. */
  const loseFirstCommitAnswer = () => {
    let lost = 0;
    const f: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (String(input).endsWith(':commit') && lost++ === 0) {
        await res.text();
        throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      }
      return res;
    };
    return f;
  };

  test('a reserve, settle or release whose commit answer was lost is applied once', async () => {
    const tenant = fresh();
    const plain = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken });
    const lossy = () => new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken, fetch: loseFirstCommitAnswer() });
    const r = granted(await lossy().reserve({ tenant, month: MONTH, amountNanoUsd: 100, limitNanoUsd: 1000 }));
    expect(await plain.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 100 });
    await lossy().settle(r, 70);
    expect(await plain.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 70, reservedNanoUsd: 0 });
    const s = granted(await plain.reserve({ tenant, month: MONTH, amountNanoUsd: 200, limitNanoUsd: 1000 }));
    await lossy().release(s);
    expect(await plain.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 70, reservedNanoUsd: 0 });
  });

  test('settle after a lost-answer settle, and release after settle, charge nothing more', async () => {
    const tenant = fresh();
    const ledger = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken });
    const r = granted(await ledger.reserve({ tenant, month: MONTH, amountNanoUsd: 100, limitNanoUsd: 1000 }));
    await new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken, fetch: loseFirstCommitAnswer() }).settle(r, 40);
    await ledger.settle(r, 40);
    await ledger.release(r);
    expect(await ledger.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 40, reservedNanoUsd: 0 });
  });
});

describe('conflicts are retried', () => {
  test('another writer between read and commit: ALREADY_EXISTS on a new document, FAILED_PRECONDITION on an existing one; both reservations count', async () => {
    const tenant = fresh();
    const other = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken });
    // Before this instance's first two commits, the other instance writes the same document.
    const spy = spyFetch(async (op, n) => {
      if (op === 'commit' && (n === 1 || n === 3)) await other.reserve({ tenant, month: MONTH, amountNanoUsd: 10, limitNanoUsd: 1000 });
    });
    const ledger = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken, fetch: spy.fetch });
    granted(await ledger.reserve({ tenant, month: MONTH, amountNanoUsd: 100, limitNanoUsd: 1000 }));
    granted(await ledger.reserve({ tenant, month: MONTH, amountNanoUsd: 100, limitNanoUsd: 1000 }));
    expect(spy.seen.filter((s) => s.op === 'commit').map((s) => s.error ?? s.status)).toEqual(['ALREADY_EXISTS', 200, 'FAILED_PRECONDITION', 200]);
    expect(await other.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 220 });
  });

  test('a refused commit re-reads, so the budget check sees the other writer: no overspend', async () => {
    const tenant = fresh();
    const other = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken });
    const spy = spyFetch(async (op, n) => {
      if (op === 'commit' && n === 1) granted(await other.reserve({ tenant, month: MONTH, amountNanoUsd: 600, limitNanoUsd: 1000 }));
    });
    const ledger = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken, fetch: spy.fetch });
    expect(await ledger.reserve({ tenant, month: MONTH, amountNanoUsd: 500, limitNanoUsd: 1000 })).toEqual({ ok: false, limitNanoUsd: 1000, spentNanoUsd: 0, reservedNanoUsd: 600 });
    expect(spy.counts).toEqual({ batchGet: 2, commit: 1 });
  });

  test('ABORTED (contention) is retried; the retries are bounded and then say why', async () => {
    const tenant = fresh();
    const ledger = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken, maxConflicts: 3 });
    fs.failNext('commit', { code: 409, status: 'ABORTED', message: 'Too much contention on these documents. Please try again.' }, 2);
    granted(await ledger.reserve({ tenant, month: MONTH, amountNanoUsd: 100, limitNanoUsd: 1000 }));
    fs.failNext('commit', { code: 400, status: 'FAILED_PRECONDITION', message: 'the stored version (2) does not match the required base version (1)' }, 3);
    await expect(ledger.reserve({ tenant, month: MONTH, amountNanoUsd: 100, limitNanoUsd: 1000 })).rejects.toThrow(
      /3 conflicting writes in a row on projects\/operations\/databases\/\(default\)\/documents\/ai-stack-ledger\/ops-\d+_2026-12; retry the request \(last: firestore: commit failed: 400 FAILED_PRECONDITION: the stored version/,
    );
    // Nothing is stuck: the next operation on the document goes through.
    expect(await ledger.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 100 });
  });

  test('concurrent requests of one process share reads and commits (group commit)', async () => {
    const tenant = fresh();
    const spy = spyFetch();
    const ledger = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken, fetch: spy.fetch });
    const results = await Promise.all(Array.from({ length: 50 }, () => ledger.reserve({ tenant, month: MONTH, amountNanoUsd: 30, limitNanoUsd: 1000 })));
    expect(results.filter((r) => r.ok)).toHaveLength(33);
    expect(spy.counts.commit).toBeLessThanOrEqual(3);
  });
});

describe('errors are surfaced with the status and Firestore\'s message', () => {
  test('PERMISSION_DENIED, UNAUTHENTICATED, a wrong baseUrl', async () => {
    const ledger = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken });
    fs.failNext('batchGet', { code: 403, status: 'PERMISSION_DENIED', message: 'Missing or insufficient permissions.' });
    await expect(ledger.spent(fresh(), MONTH)).rejects.toThrow('firestore: batchGet failed: 403 PERMISSION_DENIED: Missing or insufficient permissions.');
    fs.failNext('commit', { code: 400, status: 'INVALID_ARGUMENT', message: 'Document exceeds the maximum size' });
    await expect(ledger.reserve({ tenant: fresh(), month: MONTH, amountNanoUsd: 1, limitNanoUsd: 1 })).rejects.toMatchObject({ name: 'FirestoreApiError', httpStatus: 400, status: 'INVALID_ARGUMENT', message: 'firestore: commit failed: 400 INVALID_ARGUMENT: Document exceeds the maximum size' });

    const strict = await startFirestoreFake({ accept: (t) => t === 'good' });
    try {
      const unauthorized = new FirestoreLedger({ baseUrl: strict.baseUrl, database, getAccessToken: async () => 'expired' });
      await expect(unauthorized.spent('t', MONTH)).rejects.toThrow(/^firestore: batchGet failed: 401 UNAUTHENTICATED: Request had invalid authentication credentials/);
    } finally {
      await strict.stop();
    }

    const md = await startMetadataFake();
    try {
      const wrong = new FirestoreLedger({ baseUrl: `http://${md.host}`, database, getAccessToken });
      await expect(wrong.spent('t', MONTH)).rejects.toThrow('firestore: batchGet failed: 404: Not Found');
    } finally {
      await md.stop();
    }
  });

  test('UNAVAILABLE and lost answers are retried a few times, then surfaced', async () => {
    const ledger = new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken });
    const tenant = fresh();
    fs.failNext('batchGet', { code: 503, status: 'UNAVAILABLE', message: 'The service is currently unavailable.' }, 2);
    expect(await ledger.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 0 });
    fs.failNext('commit', { code: 503, status: 'UNAVAILABLE', message: 'The service is currently unavailable.' }, 3);
    await expect(ledger.reserve({ tenant, month: MONTH, amountNanoUsd: 1, limitNanoUsd: 1 })).rejects.toThrow('firestore: commit failed: 503 UNAVAILABLE: The service is currently unavailable.');

    const down = new FirestoreLedger({ baseUrl: `http://127.0.0.1:${await closedPort()}`, database, getAccessToken });
    await expect(down.spent(tenant, MONTH)).rejects.toThrow(/^firestore: batchGet got no answer: fetch failed \(ECONNREFUSED\)/);
  });
});

describe('access tokens from the metadata server', () => {
  let md: MetadataFake;
  let strict: FirestoreFake;
  beforeAll(async () => {
    md = await startMetadataFake(3600);
    strict = await startFirestoreFake({ accept: (t) => md.tokens().includes(t) });
  });
  afterAll(async () => {
    await strict.stop();
    await md.stop();
  });

  test('fetched once with Metadata-Flavor: Google, shared by concurrent requests, cached until shortly before expiry', async () => {
    let now = Date.UTC(2026, 11, 1);
    const before = md.requests();
    const token = metadataServerToken({ host: md.host, clock: () => now });
    const ledger = new FirestoreLedger({ baseUrl: strict.baseUrl, database, getAccessToken: token });
    const limiter = new FirestoreRateLimiter({ baseUrl: strict.baseUrl, database, getAccessToken: token });
    const tenant = fresh();
    await Promise.all([ledger.spent(tenant, MONTH), limiter.admit({ tenant, tokens: 1, requestsPerMinute: 10, tokensPerMinute: 100, nowMs: now })]);
    granted(await ledger.reserve({ tenant, month: MONTH, amountNanoUsd: 1, limitNanoUsd: 10 }));
    expect(md.requests() - before).toBe(1);
    now += 3_540_000 - 1; // still more than 60 s before expiry
    await ledger.spent(tenant, MONTH);
    expect(md.requests() - before).toBe(1);
    now += 1;
    await ledger.spent(tenant, MONTH);
    expect(md.requests() - before).toBe(2);
    expect(await token()).toBe(md.tokens().at(-1));
  });

  test('the default: GCE_METADATA_HOST or metadata.google.internal, one cache per process', async () => {
    const saved = process.env.GCE_METADATA_HOST;
    process.env.GCE_METADATA_HOST = md.host;
    try {
      const before = md.requests();
      const ledger = new FirestoreLedger({ baseUrl: strict.baseUrl, database });
      const limiter = new FirestoreRateLimiter({ baseUrl: strict.baseUrl, database });
      await ledger.spent(fresh(), MONTH);
      expect((await limiter.admit({ tenant: fresh(), tokens: 1, requestsPerMinute: 10, tokensPerMinute: 100, nowMs: Date.now() })).ok).toBe(true);
      expect(md.requests() - before).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.GCE_METADATA_HOST;
      else process.env.GCE_METADATA_HOST = saved;
    }
  });

  test('a metadata server that cannot be reached or refuses is reported, and not cached', async () => {
    const port = await closedPort();
    const token = metadataServerToken({ host: `127.0.0.1:${port}` });
    await expect(new FirestoreLedger({ baseUrl: strict.baseUrl, database, getAccessToken: token }).spent('t', MONTH)).rejects.toThrow(
      `firestore: no access token from the metadata server (http://127.0.0.1:${port}/computeMetadata/v1/instance/service-accounts/default/token): fetch failed. Outside Google Cloud, pass getAccessToken.`,
    );
    const refused = metadataServerToken({ host: md.host, fetch: (input) => fetch(input) }); // no Metadata-Flavor header
    await expect(refused()).rejects.toThrow('firestore: the metadata server answered 403 for an access token');
    let calls = 0;
    const flaky = metadataServerToken({ host: md.host, fetch: (input, init) => (calls++ === 0 ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)) });
    await expect(flaky()).rejects.toThrow(/no access token/);
    expect(await flaky()).toMatch(/^ya29\.fake-/);
  });
});
