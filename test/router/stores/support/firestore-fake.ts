/**
 * A fake Firestore (REST API v1) on node:http for the store tests, since no Firestore emulator is
 * installable here. It speaks the calls the stores and the tests make, with Firestore's semantics:
 *
 * - Documents have `name`, `fields`, `createTime` and `updateTime`. Times are RFC 3339 with at
 *   most microsecond precision (printed as proto3 JSON does: 0, 3 or 6 fractional digits), and
 *   every commit that changes a document gets a commit time strictly greater than any before it.
 *   A write that leaves a document's fields as they were keeps its update time, as Firestore does.
 * - Values are validated and normalized: `integerValue` must be an int64 (answered as a decimal
 *   string), timestamps are truncated to microseconds, an array may not hold an array, an empty
 *   map is answered as `{"mapValue":{}}` and a document without fields has no `fields`.
 * - `GET documents/{path}` (optionally `?transaction=`): the document, or 404 NOT_FOUND.
 * - `documents:batchGet` (`documents`, optionally `transaction` or `newTransaction`): a JSON array
 *   of `{found, readTime}` / `{missing, readTime}`, in the order asked.
 * - `documents:commit`: all writes (`update` with optional `updateMask`, or `delete`) are checked
 *   and applied atomically. Preconditions as Firestore answers them: `exists: true` on a missing
 *   document → 404 NOT_FOUND ("No document to update"), `exists: false` on an existing one → 409
 *   ALREADY_EXISTS, a stale or missing `updateTime` → 400 FAILED_PRECONDITION ("the stored version
 *   (…) does not match the required base version (…)"). Errors use Google's JSON shape
 *   `{"error":{"code":400,"message":"…","status":"FAILED_PRECONDITION"}}`.
 * - Transactions (`documents:beginTransaction` read-write, `documents:rollback`): reads made in a
 *   transaction record the version they saw (a missing document included); committing the
 *   transaction after any of those documents changed fails with 409 ABORTED ("Too much contention
 *   on these documents"), and the transaction is over either way. A transaction expires 270 s
 *   after it began or 60 s after its last use (Firestore's limits).
 *   This is optimistic concurrency. Firestore's server (in pessimistic mode, the default of
 *   Standard edition databases) instead locks what a transaction reads, so a contending write
 *   waits or one of the two transactions is aborted; for a client the observable outcomes are the
 *   same (a commit succeeds with nothing lost, or fails with ABORTED and is retried), only the
 *   timing differs.
 * - Every request needs `Authorization: Bearer <token>` (401 UNAUTHENTICATED otherwise); `accept`
 *   may refuse tokens.
 *
 * Not modelled: queries, listen, field transforms, read-only transactions and `readTime` reads,
 * field masks on reads, security rules, IAM, quotas and the 1 MiB document / 10 MiB request limits,
 * the sustained write rate per document, and lock waits (see above). Unsupported requests are
 * refused with 400 INVALID_ARGUMENT ("fake: … not modelled") rather than answered wrongly.
 *
 * In process: `startFirestoreFake()`. In a separate process (shared by several, like an
 * emulator): `startFirestoreFakeProcess()`, which runs this file with tsx.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeMethod = 'get' | 'batchGet' | 'commit' | 'beginTransaction' | 'rollback';

export interface FakeError {
  readonly code: number;
  readonly status: string;
  readonly message: string;
}

export interface FirestoreFakeOptions {
  /** Which bearer tokens are valid. @default every non-empty token */
  readonly accept?: (token: string) => boolean;
}

export interface FirestoreFake {
  /** e.g. `http://127.0.0.1:41234`; the API is under `/v1/`. */
  readonly baseUrl: string;
  /** Requests answered per method (failed ones included). */
  counts(): Record<string, number>;
  /** The next `times` requests of `method` are answered with `error` instead of being executed. */
  failNext(method: FakeMethod, error: FakeError, times?: number): void;
  stop(): Promise<void>;
}

export interface FirestoreFakeProcess {
  readonly baseUrl: string;
  stop(): Promise<void>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Fields = Record<string, Json>;

interface StoredDoc {
  readonly fields: Fields;
  readonly createMicros: number;
  readonly updateMicros: number;
}

interface Transaction {
  readonly readWrite: boolean;
  /** Document name → update time (µs) seen by the transaction's reads; 0: it did not exist. */
  readonly reads: Map<string, number>;
  readonly beganMs: number;
  usedMs: number;
}

const TX_LIFETIME_MS = 270_000;
const TX_IDLE_MS = 60_000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new ApiError(400, 'INVALID_ARGUMENT', message);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch microseconds of an RFC 3339 timestamp; more precision than µs is truncated, as Firestore does. */
function parseMicros(s: unknown, what: string): number {
  const m = typeof s === 'string' ? RFC3339.exec(s) : null;
  if (!m) throw invalid(`Invalid value at '${what}' (type.googleapis.com/google.protobuf.Timestamp), Field '${what}', Invalid time format: ${JSON.stringify(s)}`);
  const [, y, mo, d, h, mi, sec, frac = '', zone] = m;
  const offsetMin = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec) - offsetMin * 60_000;
  return ms * 1000 + Number(frac.padEnd(6, '0').slice(0, 6));
}

/** proto3 JSON Timestamp: UTC, with 0, 3 or 6 fractional digits. */
function formatMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const sub = micros - ms * 1000;
  const base = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  if (sub !== 0) return `${base.slice(0, -1)}${String(sub).padStart(3, '0')}Z`;
  if (ms % 1000 !== 0) return base;
  return `${base.slice(0, 19)}Z`;
}

const VALUE_KINDS = ['nullValue', 'booleanValue', 'integerValue', 'doubleValue', 'timestampValue', 'stringValue', 'bytesValue', 'referenceValue', 'geoPointValue', 'arrayValue', 'mapValue'];

/** Validates a google.firestore.v1.Value and answers it as Firestore would store and return it. */
function normalizeValue(v: unknown, path: string, inArray = false): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`Invalid value at '${path}': expected a Value object`);
  const kinds = Object.keys(v).filter((k) => VALUE_KINDS.includes(k));
  const unknown = Object.keys(v).filter((k) => !VALUE_KINDS.includes(k));
  if (unknown.length > 0) throw invalid(`Invalid JSON payload received. Unknown name "${unknown[0]}" at '${path}': Cannot find field.`);
  if (kinds.length !== 1) throw invalid(`Invalid value at '${path}': a Value must have exactly one of ${VALUE_KINDS.join(', ')}`);
  const kind = kinds[0];
  const x = (v as Record<string, unknown>)[kind];
  switch (kind) {
    case 'nullValue':
      return { nullValue: null };
    case 'booleanValue':
      if (typeof x !== 'boolean') throw invalid(`Invalid value at '${path}.boolean_value' (TYPE_BOOL), ${JSON.stringify(x)}`);
      return { booleanValue: x };
    case 'integerValue': {
      const s = typeof x === 'number' && Number.isInteger(x) ? String(x) : x;
      if (typeof s !== 'string' || !/^-?\d+$/.test(s) || BigInt(s) < INT64_MIN || BigInt(s) > INT64_MAX) throw invalid(`Invalid value at '${path}.integer_value' (TYPE_INT64), ${JSON.stringify(x)}`);
      return { integerValue: BigInt(s).toString() };
    }
    case 'doubleValue':
      if (typeof x !== 'number' && !['NaN', 'Infinity', '-Infinity'].includes(x as string)) throw invalid(`Invalid value at '${path}.double_value' (TYPE_DOUBLE), ${JSON.stringify(x)}`);
      return { doubleValue: x as number | string };
    case 'timestampValue':
      return { timestampValue: formatMicros(parseMicros(x, `${path}.timestamp_value`)) };
    case 'stringValue':
    case 'bytesValue':
    case 'referenceValue':
      if (typeof x !== 'string') throw invalid(`Invalid value at '${path}.${kind}' (TYPE_STRING), ${JSON.stringify(x)}`);
      return { [kind]: x };
    case 'geoPointValue':
      return { geoPointValue: x as Json };
    case 'arrayValue': {
      if (inArray) throw invalid(`Cannot have nested arrays: '${path}'`);
      const values = (x as { values?: unknown } | null)?.values ?? [];
      if (!Array.isArray(values)) throw invalid(`Invalid value at '${path}.array_value.values'`);
      return values.length ? { arrayValue: { values: values.map((e, i) => normalizeValue(e, `${path}.array_value.values[${i}]`, true)) } } : { arrayValue: {} };
    }
    default: {
      const fields = normalizeFields((x as { fields?: unknown } | null)?.fields ?? {}, `${path}.map_value.fields`);
      return Object.keys(fields).length ? { mapValue: { fields } } : { mapValue: {} };
    }
  }
}

function normalizeFields(f: unknown, path: string): Fields {
  if (typeof f !== 'object' || f === null || Array.isArray(f)) throw invalid(`Invalid value at '${path}': expected a map of field names to Values`);
  const out: Fields = {};
  for (const [k, v] of Object.entries(f)) {
    if (k === '') throw invalid(`Invalid field name at '${path}': empty`);
    out[k] = normalizeValue(v, `${path}[${JSON.stringify(k)}]`);
  }
  return out;
}

function sameJson(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as Json[]).length && a.every((x, i) => sameJson(x, (b as Json[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => k in (b as object) && sameJson(a[k], (b as Record<string, Json>)[k]));
}

/** The Firestore state and API, without HTTP. */
class FakeFirestore {
  private readonly docs = new Map<string, StoredDoc>();
  private readonly txs = new Map<string, Transaction>();
  private lastMicros = 0;

  /** Strictly increasing microseconds, close to the wall clock. */
  private tick(): number {
    this.lastMicros = Math.max(this.lastMicros + 1, Date.now() * 1000);
    return this.lastMicros;
  }

  private render(name: string, d: StoredDoc): Json {
    const out: Record<string, Json> = { name };
    if (Object.keys(d.fields).length) out.fields = d.fields;
    out.createTime = formatMicros(d.createMicros);
    out.updateTime = formatMicros(d.updateMicros);
    return out;
  }

  /** `projects/p/databases/d/documents/c/id[/c/id…]` under `database`. */
  private checkName(name: unknown, database: string, what: string): string {
    const prefix = `${database}/documents/`;
    if (typeof name !== 'string' || !name.startsWith(prefix)) throw invalid(`Document name "${String(name)}" has invalid trailing or is not under database "${database}" (${what}).`);
    const segments = name.slice(prefix.length).split('/');
    if (segments.length % 2 !== 0 || segments.some((s) => s === '' || s === '.' || s === '..' || /^__.*__$/.test(s))) {
      throw invalid(`Document name "${name}" has invalid trailing "${name.slice(prefix.length)}" (${what}).`);
    }
    return name;
  }

  private transaction(id: unknown): Transaction {
    const tx = typeof id === 'string' ? this.txs.get(id) : undefined;
    const now = Date.now();
    if (!tx || now - tx.beganMs > TX_LIFETIME_MS || now - tx.usedMs > TX_IDLE_MS) {
      if (typeof id === 'string') this.txs.delete(id);
      throw invalid('The referenced transaction has expired or is no longer valid.');
    }
    tx.usedMs = now;
    return tx;
  }

  private begin(options: unknown): string {
    const o = (options ?? {}) as { readOnly?: unknown; readWrite?: unknown };
    if (o.readOnly !== undefined) throw invalid('fake: read-only transactions are not modelled');
    const now = Date.now();
    for (const [id, tx] of this.txs) if (now - tx.beganMs > TX_LIFETIME_MS || now - tx.usedMs > TX_IDLE_MS) this.txs.delete(id);
    const id = randomBytes(16).toString('base64');
    this.txs.set(id, { readWrite: true, reads: new Map(), beganMs: now, usedMs: now });
    return id;
  }

  private readInto(tx: Transaction | undefined, name: string): StoredDoc | undefined {
    const d = this.docs.get(name);
    if (tx && !tx.reads.has(name)) tx.reads.set(name, d?.updateMicros ?? 0);
    return d;
  }

  get(database: string, name: string, query: URLSearchParams): Json {
    for (const k of query.keys()) if (k !== 'transaction') throw invalid(`fake: GET with '${k}' is not modelled`);
    this.checkName(name, database, 'name');
    const tx = query.has('transaction') ? this.transaction(query.get('transaction')) : undefined;
    const d = this.readInto(tx, name);
    if (!d) throw new ApiError(404, 'NOT_FOUND', `Document "${name}" not found.`);
    return this.render(name, d);
  }

  batchGet(database: string, body: Record<string, unknown>): Json {
    for (const k of Object.keys(body)) if (!['documents', 'transaction', 'newTransaction'].includes(k)) throw invalid(`fake: batchGet with '${k}' is not modelled`);
    if (!Array.isArray(body.documents) || body.documents.length === 0) throw invalid('documents is required');
    const names = body.documents.map((n, i) => this.checkName(n, database, `documents[${i}]`));
    let newTx: string | undefined;
    let tx: Transaction | undefined;
    if (body.transaction !== undefined) tx = this.transaction(body.transaction);
    else if (body.newTransaction !== undefined) {
      newTx = this.begin((body.newTransaction as { options?: unknown } | null)?.options ?? body.newTransaction);
      tx = this.txs.get(newTx);
    }
    const readTime = formatMicros(Math.max(this.lastMicros, Date.now() * 1000));
    return names.map((name, i) => {
      const d = this.readInto(tx, name);
      const entry: Record<string, Json> = d ? { found: this.render(name, d) } : { missing: name };
      entry.readTime = readTime;
      if (newTx && i === 0) entry.transaction = newTx;
      return entry;
    });
  }

  beginTransaction(body: Record<string, unknown>): Json {
    return { transaction: this.begin(body.options) };
  }

  rollback(body: Record<string, unknown>): Json {
    this.transaction(body.transaction);
    this.txs.delete(body.transaction as string);
    return {};
  }

  commit(database: string, body: Record<string, unknown>): Json {
    const writes = body.writes ?? [];
    if (!Array.isArray(writes)) throw invalid('writes must be a list');
    let tx: Transaction | undefined;
    if (body.transaction !== undefined) {
      tx = this.transaction(body.transaction);
      // Over, whatever the outcome: a retry begins a new transaction.
      this.txs.delete(body.transaction as string);
      for (const [name, seen] of tx.reads) {
        if ((this.docs.get(name)?.updateMicros ?? 0) !== seen) throw new ApiError(409, 'ABORTED', 'Too much contention on these documents. Please try again.');
      }
    }
    // Check every write, then apply them all with one commit time (atomic).
    const planned: { name: string; next: StoredDoc | null | 'unchanged' }[] = [];
    writes.forEach((w: Record<string, unknown>, i: number) => {
      for (const k of Object.keys(w)) if (!['update', 'delete', 'updateMask', 'currentDocument'].includes(k)) throw invalid(`fake: writes[${i}].${k} is not modelled`);
      if ((w.update === undefined) === (w.delete === undefined)) throw invalid(`writes[${i}] must have exactly one of update, delete`);
      const kind = w.update !== undefined ? 'update' : 'delete';
      const update = w.update as { name?: unknown; fields?: unknown } | undefined;
      const name = this.checkName(kind === 'update' ? update?.name : w.delete, database, `writes[${i}]`);
      if (planned.some((p) => p.name === name)) throw invalid(`fake: more than one write to ${name} in one commit is not modelled`);
      const before = this.docs.get(name);
      const pre = (w.currentDocument ?? {}) as { exists?: unknown; updateTime?: unknown };
      if (pre.exists !== undefined && pre.updateTime !== undefined) throw invalid(`writes[${i}].currentDocument: exists and updateTime are mutually exclusive`);
      if (pre.exists === true && !before) throw new ApiError(404, 'NOT_FOUND', `No document to ${kind}: ${name}`);
      if (pre.exists === false && before) throw new ApiError(409, 'ALREADY_EXISTS', `Document already exists: ${name}`);
      if (pre.updateTime !== undefined) {
        const required = parseMicros(pre.updateTime, `writes[${i}].current_document.update_time`);
        const stored = before?.updateMicros ?? 0;
        if (stored !== required) throw new ApiError(400, 'FAILED_PRECONDITION', `the stored version (${stored}) does not match the required base version (${required})`);
      }
      if (kind === 'delete') {
        planned.push({ name, next: null });
        return;
      }
      const fields = normalizeFields(update?.fields ?? {}, `writes[${i}].update.fields`);
      let next = fields;
      if (w.updateMask !== undefined) {
        const paths = (w.updateMask as { fieldPaths?: unknown } | null)?.fieldPaths ?? [];
        if (!Array.isArray(paths)) throw invalid(`writes[${i}].updateMask.fieldPaths must be a list`);
        next = { ...(before?.fields ?? {}) };
        for (const p of paths) {
          if (typeof p !== 'string' || p.includes('.') || p.includes('`')) throw invalid(`fake: field path ${JSON.stringify(p)} is not modelled (top-level names only)`);
          if (p in fields) next[p] = fields[p];
          else delete next[p];
        }
        for (const k of Object.keys(fields)) if (!paths.includes(k)) throw invalid(`fake: field ${k} outside the updateMask is not modelled`);
      }
      // Firestore keeps the update time of a write that changes nothing.
      if (before && sameJson(before.fields, next)) planned.push({ name, next: 'unchanged' });
      else planned.push({ name, next: { fields: next, createMicros: before?.createMicros ?? 0, updateMicros: 0 } });
    });
    const commitMicros = this.tick();
    const results = planned.map(({ name, next }): Json => {
      if (next === null) {
        this.docs.delete(name);
        return {};
      }
      if (next === 'unchanged') return { updateTime: formatMicros(this.docs.get(name)!.updateMicros) };
      this.docs.set(name, { fields: next.fields, createMicros: next.createMicros || commitMicros, updateMicros: commitMicros });
      return { updateTime: formatMicros(commitMicros) };
    });
    return { writeResults: results, commitTime: formatMicros(commitMicros) };
  }
}

const DATABASE_PATH = /^projects\/[^/]+\/databases\/[^/]+$/;

function send(res: ServerResponse, code: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const errorBody = (e: FakeError): Json => ({ error: { code: e.code, message: e.message, status: e.status } });

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function createFakeServer(o: FirestoreFakeOptions) {
  const store = new FakeFirestore();
  const counts: Record<string, number> = {};
  const failures = new Map<FakeMethod, FakeError[]>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const text = await readBody(req);
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!token) {
      return send(res, 401, errorBody({ code: 401, status: 'UNAUTHENTICATED', message: 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.' }));
    }
    if (o.accept && !o.accept(token)) {
      return send(res, 401, errorBody({ code: 401, status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.' }));
    }
    if (!url.pathname.startsWith('/v1/')) return send(res, 404, errorBody({ code: 404, status: 'NOT_FOUND', message: `fake: no such path ${url.pathname}` }));
    const path = url.pathname.slice(4).split('/').map(decodeURIComponent).join('/');
    const m = /^(projects\/[^/]+\/databases\/[^/]+)\/documents(?::(batchGet|commit|beginTransaction|rollback)|\/(.+))$/.exec(path);
    if (!m || !DATABASE_PATH.test(m[1])) return send(res, 404, errorBody({ code: 404, status: 'NOT_FOUND', message: `fake: no such method ${path}` }));
    const [, database, custom, docPath] = m;
    const method: FakeMethod = custom ? (custom as FakeMethod) : 'get';
    if ((method === 'get') !== (req.method === 'GET')) return send(res, 404, errorBody({ code: 404, status: 'NOT_FOUND', message: `fake: ${req.method} ${path} is not modelled` }));
    counts[method] = (counts[method] ?? 0) + 1;
    const injected = failures.get(method)?.shift();
    if (injected) return send(res, injected.code, errorBody(injected));
    try {
      let body: Record<string, unknown> = {};
      if (method !== 'get') {
        try {
          body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          throw invalid(`Invalid JSON payload received. Unexpected token.\n${text.slice(0, 40)}`);
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('Invalid JSON payload received. Expected an object.');
      }
      const out =
        method === 'get'
          ? store.get(database, `${database}/documents/${docPath}`, url.searchParams)
          : method === 'batchGet'
            ? store.batchGet(database, body)
            : method === 'commit'
              ? store.commit(database, body)
              : method === 'beginTransaction'
                ? store.beginTransaction(body)
                : store.rollback(body);
      send(res, 200, out);
    } catch (err) {
      if (err instanceof ApiError) return send(res, err.code, errorBody(err));
      send(res, 500, errorBody({ code: 500, status: 'INTERNAL', message: `fake: ${(err as Error).stack ?? String(err)}` }));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, errorBody({ code: 500, status: 'INTERNAL', message: `fake: ${String(err)}` }));
    });
  });
  return {
    server,
    counts: () => ({ ...counts }),
    failNext(method: FakeMethod, error: FakeError, times = 1) {
      const q = failures.get(method) ?? [];
      for (let i = 0; i < times; i++) q.push(error);
      failures.set(method, q);
    },
  };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** The fake in this process, in memory, on a free port of 127.0.0.1 (other processes can use it too). */
export async function startFirestoreFake(o: FirestoreFakeOptions = {}): Promise<FirestoreFake> {
  const f = createFakeServer(o);
  await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
  const { port } = f.server.address() as AddressInfo;
  if (process.env.FIRESTORE_FAKE_COUNT) f.server.on('close', () => console.info(`firestore fake requests: ${JSON.stringify(f.counts())}`));
  return { baseUrl: `http://127.0.0.1:${port}`, counts: f.counts, failNext: f.failNext, stop: () => close(f.server) };
}

/** The fake in a child process of its own (as an emulator would run), on a free port. */
export async function startFirestoreFakeProcess(): Promise<FirestoreFakeProcess> {
  const child = fork(__filename, ['--serve'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the Firestore fake did not start within 20 s')), 20_000);
    child.once('message', (m: { port?: number }) => {
      clearTimeout(timer);
      if (typeof m.port === 'number') resolve(m.port);
      else reject(new Error(`the Firestore fake sent ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Firestore fake exited (${code}) before listening`));
    });
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface MetadataFake {
  /** For `metadataServerToken({ host })` or GCE_METADATA_HOST: `127.0.0.1:<port>`. */
  readonly host: string;
  /** Token requests answered. */
  requests(): number;
  /** The tokens handed out so far, oldest first. */
  tokens(): string[];
  stop(): Promise<void>;
}

/**
 * The metadata server's token endpoint: `GET /computeMetadata/v1/instance/service-accounts/default/token`
 * with `Metadata-Flavor: Google` (403 without it, as the real one answers). Each request hands out
 * a new token, valid for `expiresInS`.
 */
export async function startMetadataFake(expiresInS = 3599): Promise<MetadataFake> {
  let n = 0;
  const issued: string[] = [];
  const server = createServer((req, res) => {
    if (req.url !== '/computeMetadata/v1/instance/service-accounts/default/token') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    if (req.headers['metadata-flavor'] !== 'Google') {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Missing Metadata-Flavor:Google header.');
      return;
    }
    const token = `ya29.fake-${++n}`;
    issued.push(token);
    res.writeHead(200, { 'content-type': 'application/json', 'metadata-flavor': 'Google' }).end(JSON.stringify({ access_token: token, expires_in: expiresInS, token_type: 'Bearer' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { host: `127.0.0.1:${port}`, requests: () => n, tokens: () => [...issued], stop: () => close(server) };
}

// `node --import tsx firestore-fake.ts --serve`: the child of startFirestoreFakeProcess.
if (require.main === module && process.argv.includes('--serve')) {
  const f = createFakeServer({});
  f.server.listen(0, '127.0.0.1', () => {
    const { port } = f.server.address() as AddressInfo;
    if (process.send) process.send({ port });
    else console.log(`firestore fake listening on http://127.0.0.1:${port}`);
  });
  process.once('SIGTERM', () => {
    if (process.env.FIRESTORE_FAKE_COUNT) console.info(`firestore fake requests: ${JSON.stringify(f.counts())}`);
    void close(f.server).then(() => process.exit(0));
  });
}
