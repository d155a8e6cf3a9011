import { defaultAccessToken } from './auth';
import { checkDatabase } from './schema';
import type { Document, Fields } from './values';

/** How to reach the database; the ledger and the rate limiter take the same options. */
export interface FirestoreConnectionOptions {
  /** `projects/<project>/databases/<database>`, e.g. `projects/acme/databases/(default)`. */
  readonly database: string;
  /** The ledger's collection. @default 'ai-stack-ledger' */
  readonly collection?: string;
  /** The rate limiter's collection. @default 'ai-stack-rate' */
  readonly rateCollection?: string;
  /** @default 'https://firestore.googleapis.com' */
  readonly baseUrl?: string;
  /**
   * An OAuth access token with the `datastore` (or `cloud-platform`) scope, called before every request.
   * @default the metadata server's token for the attached service account, cached until shortly before it expires
   */
  readonly getAccessToken?: () => Promise<string>;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** A request that has not answered after this long is abandoned (and retried, see below). @default 30_000 */
  readonly requestTimeoutMs?: number;
}

/** An error answer of the REST API: the HTTP status, the canonical code name and Firestore's message. */
export class FirestoreApiError extends Error {
  constructor(
    readonly operation: string,
    readonly httpStatus: number,
    /** e.g. 'FAILED_PRECONDITION', 'ABORTED', 'PERMISSION_DENIED'; '' when the body was not Google's error JSON. */
    readonly status: string,
    readonly detail: string,
  ) {
    super(`firestore: ${operation} failed: ${httpStatus}${status ? ` ${status}` : ''}: ${detail}`);
    this.name = 'FirestoreApiError';
  }
}

/**
 * A commit refused because another writer changed the document first: a stale `updateTime`
 * precondition (FAILED_PRECONDITION), `exists: false` on a document someone created
 * (ALREADY_EXISTS), contention (ABORTED), or a precondition on a document deleted meanwhile
 * (NOT_FOUND: if the database itself is missing, the read that follows fails and says so).
 */
export function isCommitConflict(err: unknown): boolean {
  return err instanceof FirestoreApiError && ['FAILED_PRECONDITION', 'ALREADY_EXISTS', 'ABORTED', 'NOT_FOUND'].includes(err.status);
}

/**
 * Worth another attempt: the service was unavailable, overloaded or timed out, or the request never
 * got an answer. A commit in that state may have been applied; the stores re-read and re-apply,
 * which their operations make harmless (see documents.ts and distributed/group-commit.ts).
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof FirestoreApiError) return [500, 502, 503, 504, 429].includes(err.httpStatus) || ['UNAVAILABLE', 'INTERNAL', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED'].includes(err.status);
  return err instanceof FirestoreNetworkError;
}

export class FirestoreNetworkError extends Error {
  constructor(operation: string, cause: unknown) {
    const c = cause as { message?: string; cause?: { code?: string; message?: string } };
    super(`firestore: ${operation} got no answer: ${c?.message ?? String(cause)}${c?.cause?.code ? ` (${c.cause.code})` : c?.cause?.message ? ` (${c.cause.message})` : ''}`);
    this.name = 'FirestoreNetworkError';
  }
}

/** A document's fields and the update time a conditional write must name; undefined: it does not exist. */
export interface ReadDocument {
  readonly fields: Fields;
  readonly updateTime: string;
}

export interface Precondition {
  readonly exists?: boolean;
  readonly updateTime?: string;
}

/**
 * The calls the stores make, on the REST API v1 with the global fetch: `documents:batchGet` to read
 * (a missing document is a `missing` entry, never confused with a missing database) and
 * `documents:commit` with one write and its precondition.
 */
export class FirestoreRest {
  readonly database: string;
  private readonly baseUrl: string;
  private readonly token: () => Promise<string>;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(o: FirestoreConnectionOptions) {
    checkDatabase(o.database);
    this.database = o.database;
    this.baseUrl = (o.baseUrl ?? 'https://firestore.googleapis.com').replace(/\/+$/, '');
    this.token = o.getAccessToken ?? defaultAccessToken;
    this.fetch = o.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = o.requestTimeoutMs ?? 30_000;
  }

  documentName(collection: string, id: string): string {
    return `${this.database}/documents/${collection}/${id}`;
  }

  /** Strongly consistent read of one document (Firestore reads outside a transaction are). */
  async read(name: string): Promise<ReadDocument | undefined> {
    const out = await this.call<BatchGetResponse[]>('batchGet', `${this.database}/documents:batchGet`, { documents: [name] });
    const entry = Array.isArray(out) ? out.find((e) => e.found?.name === name || e.missing === name) : undefined;
    if (!entry) throw new Error(`firestore: batchGet of ${name} answered without it: ${JSON.stringify(out).slice(0, 300)}`);
    if (!entry.found) return undefined;
    if (!entry.found.updateTime) throw new Error(`firestore: batchGet of ${name} answered a document without updateTime`);
    return { fields: entry.found.fields ?? {}, updateTime: entry.found.updateTime };
  }

  /** Replaces the document's fields if `precondition` holds; throws FirestoreApiError otherwise. */
  async write(name: string, fields: Fields, precondition: Precondition): Promise<void> {
    await this.call('commit', `${this.database}/documents:commit`, { writes: [{ update: { name, fields }, currentDocument: precondition }] });
  }

  private async call<T>(operation: string, path: string, body: unknown): Promise<T> {
    const url = `${this.baseUrl}/v1/${path.split('/').map(encodeURIComponent).join('/').replace(/%3A/g, ':')}`;
    const token = await this.token();
    let res: Response;
    let text: string;
    try {
      res = await this.fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new FirestoreNetworkError(operation, err);
    }
    if (!res.ok) {
      let error: { status?: string; message?: string } | undefined;
      try {
        error = (JSON.parse(text) as { error?: { status?: string; message?: string } }).error;
      } catch {
        // not Google's error JSON (a proxy, a wrong baseUrl): show the start of what came back
      }
      throw new FirestoreApiError(operation, res.status, error?.status ?? '', error?.message ?? (text.slice(0, 300) || res.statusText));
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`firestore: ${operation} answered ${res.status} with a body that is not JSON: ${text.slice(0, 300)}`);
    }
  }
}

interface BatchGetResponse {
  readonly found?: Document;
  readonly missing?: string;
  readonly readTime?: string;
}
