/**
 * A fake Cloud Storage JSON API on node:http, speaking the calls the ingestion runtime makes as the
 * public reference documents them:
 * - cloud.google.com/storage/docs/json_api/v1/objects/list: `GET /storage/v1/b/{bucket}/o` with
 *   `pageToken`, `maxResults` and `fields` (a partial response: `nextPageToken,items(name,md5Hash)`
 *   returns only those fields); a page may hold fewer items than asked, with `nextPageToken`.
 * - cloud.google.com/storage/docs/json_api/v1/objects/get: `GET /storage/v1/b/{bucket}/o/{name}`
 *   (the name URL-encoded, `/` as %2F); `alt=media` returns the bytes with `x-goog-hash` (one header
 *   per hash, `crc32c=…` and `md5=…`, cloud.google.com/storage/docs/xml-api/reference-headers),
 *   `x-goog-generation`, `x-goog-metageneration`, `x-goog-stored-content-length` and Content-Type.
 * - cloud.google.com/storage/docs/json_api/v1/objects/insert with `uploadType=media`
 *   (cloud.google.com/storage/docs/uploading-objects): `POST /upload/storage/v1/b/{bucket}/o?name=…`,
 *   the body as the object's content and its Content-Type; `ifGenerationMatch` (0: only if no live
 *   object, cloud.google.com/storage/docs/request-preconditions); a failed precondition answers 412
 *   with reason `conditionNotMet`.
 * - cloud.google.com/storage/docs/json_api/v1/objects/delete: `DELETE /storage/v1/b/{bucket}/o/{name}`
 *   (no request body) → 204 No Content with an empty body; no live object of that name → 404 with
 *   reason `notFound` ("No such object: {bucket}/{name}").
 * - Errors in the JSON API's shape (cloud.google.com/storage/docs/json_api/v1/status-codes):
 *   `{"error":{"code":412,"message":"…","errors":[{"domain":"global","reason":"conditionNotMet",…}]}}`.
 * - Composite objects (cloud.google.com/storage/docs/composite-objects) have a CRC32C and no MD5.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredObject {
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly generation: string;
  /** Composite objects carry no MD5. */
  readonly composite: boolean;
}

export interface GcsRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization?: string;
}

/** An injected failure: the next `times` requests matching `match` answer `status`. */
interface Failure {
  match: (r: GcsRequest) => boolean;
  status: number;
  times: number;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C (Castagnoli), base64 of its 4 big-endian bytes, as Cloud Storage reports it. */
export function crc32c(bytes: Uint8Array): string {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC32C_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

export const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('base64');

const ERROR_MESSAGES: Record<number, { reason: string; message: string; domain?: string }> = {
  401: { reason: 'required', message: 'Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object.' },
  412: { reason: 'conditionNotMet', message: 'At least one of the pre-conditions you specified did not hold.' },
  429: { reason: 'rateLimitExceeded', domain: 'usageLimits', message: 'The object exceeded the rate limit for object mutation operations (create, update, and delete).' },
  500: { reason: 'backendError', message: 'Internal Error' },
  503: { reason: 'backendError', message: 'Backend Error' },
};

function errorBody(status: number, message?: string, reason?: string): string {
  const known = ERROR_MESSAGES[status] ?? { reason: 'invalid', message: 'Invalid request' };
  const m = message ?? known.message;
  const extra = status === 412 ? { locationType: 'header', location: 'If-Match' } : status === 401 ? { locationType: 'header', location: 'Authorization' } : {};
  return JSON.stringify({ error: { code: status, message: m, errors: [{ message: m, domain: known.domain ?? 'global', reason: reason ?? known.reason, ...extra }] } });
}

/** Keeps only the fields a `fields` selector names: `a,b,items(c,d)`. */
export function selectFields(value: Record<string, unknown>, fields: string | null): Record<string, unknown> {
  if (!fields) return value;
  const out: Record<string, unknown> = {};
  let depth = 0;
  let start = 0;
  const parts: string[] = [];
  for (let i = 0; i <= fields.length; i++) {
    const ch = fields[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if ((ch === ',' && depth === 0) || i === fields.length) {
      parts.push(fields.slice(start, i).trim());
      start = i + 1;
    }
  }
  for (const part of parts) {
    const open = part.indexOf('(');
    const key = open < 0 ? part : part.slice(0, open);
    if (!(key in value)) continue;
    const v = value[key];
    if (open < 0) out[key] = v;
    else {
      const sub = part.slice(open + 1, -1);
      out[key] = Array.isArray(v) ? v.map((x) => selectFields(x as Record<string, unknown>, sub)) : selectFields(v as Record<string, unknown>, sub);
    }
  }
  return out;
}

export class GcsFake {
  readonly buckets = new Map<string, Map<string, StoredObject>>();
  readonly requests: GcsRequest[] = [];
  /** Most items per list page (the real service may also answer fewer than `maxResults`). */
  pageSize = 1000;
  private failures: Failure[] = [];
  private generation = 1764547200000000; // microseconds, as real generations are
  private server?: http.Server;
  baseUrl = '';

  static async start(): Promise<GcsFake> {
    const fake = new GcsFake();
    fake.server = http.createServer((req, res) => fake.serve(req, res));
    await new Promise<void>((resolve) => fake.server!.listen(0, '127.0.0.1', resolve));
    fake.baseUrl = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }

  bucket(name: string): Map<string, StoredObject> {
    let b = this.buckets.get(name);
    if (!b) this.buckets.set(name, (b = new Map()));
    return b;
  }

  /** Writes an object as an upload would (a new generation). */
  put(bucket: string, name: string, content: string | Buffer, options: { contentType?: string; composite?: boolean } = {}): StoredObject {
    const obj: StoredObject = { bytes: Buffer.from(content), contentType: options.contentType ?? 'text/plain', generation: String(++this.generation), composite: options.composite ?? false };
    this.bucket(bucket).set(name, obj);
    return obj;
  }

  remove(bucket: string, name: string): void {
    this.bucket(bucket).delete(name);
  }

  /** The next `times` requests matching `match` answer `status` with the JSON API's error body. */
  fail(match: (r: GcsRequest) => boolean, status: number, times = 1): void {
    this.failures.push({ match, status, times });
  }

  resource(bucket: string, name: string, o: StoredObject): Record<string, unknown> {
    return {
      kind: 'storage#object',
      id: `${bucket}/${name}/${o.generation}`,
      selfLink: `${this.baseUrl}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`,
      name,
      bucket,
      generation: o.generation,
      metageneration: '1',
      contentType: o.contentType,
      storageClass: 'STANDARD',
      size: String(o.bytes.length),
      ...(o.composite ? { componentCount: 2 } : { md5Hash: md5(o.bytes) }),
      crc32c: crc32c(o.bytes),
      etag: `C${o.generation.slice(-8)}=`,
    };
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const r: GcsRequest = { method: req.method ?? '', path: url.pathname, query: url.searchParams, authorization: req.headers.authorization };
      this.requests.push(r);
      const send = (status: number, body: string | Buffer, headers: Record<string, string | string[]> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
        res.end(body);
      };
      const failure = this.failures.find((f) => f.times > 0 && f.match(r));
      if (failure) {
        failure.times--;
        return send(failure.status, errorBody(failure.status));
      }
      if (!/^Bearer \S+$/.test(r.authorization ?? '')) return send(401, errorBody(401));
      const fields = url.searchParams.get('fields');

      let m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
      if (m && req.method === 'GET') return this.list(decodeURIComponent(m[1]), url.searchParams, send);

      m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
      if (m && req.method === 'DELETE') {
        const bucket = decodeURIComponent(m[1]);
        const name = decodeURIComponent(m[2]);
        if (!this.buckets.get(bucket)?.delete(name)) return send(404, errorBody(404, `No such object: ${bucket}/${name}`, 'notFound'));
        res.writeHead(204);
        return res.end();
      }
      if (m && req.method === 'GET') {
        const bucket = decodeURIComponent(m[1]);
        const name = decodeURIComponent(m[2]);
        const o = this.buckets.get(bucket)?.get(name);
        if (!o) return send(404, errorBody(404, `No such object: ${bucket}/${name}`, 'notFound'));
        if (url.searchParams.get('alt') !== 'media') return send(200, JSON.stringify(selectFields(this.resource(bucket, name, o), fields)));
        return send(200, o.bytes, {
          'content-type': o.contentType,
          // Two headers, as Cloud Storage sends them.
          'x-goog-hash': o.composite ? [`crc32c=${crc32c(o.bytes)}`] : [`crc32c=${crc32c(o.bytes)}`, `md5=${md5(o.bytes)}`],
          'x-goog-generation': o.generation,
          'x-goog-metageneration': '1',
          'x-goog-stored-content-length': String(o.bytes.length),
          'x-goog-stored-content-encoding': 'identity',
        });
      }

      m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
      if (m && req.method === 'POST') {
        const bucket = decodeURIComponent(m[1]);
        const name = url.searchParams.get('name');
        if (url.searchParams.get('uploadType') !== 'media') return send(400, errorBody(400, 'Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/', 'wrongUrlForUpload'));
        if (!name) return send(400, errorBody(400, 'Required', 'required'));
        const current = this.buckets.get(bucket)?.get(name);
        const expected = url.searchParams.get('ifGenerationMatch');
        if (expected !== null && (expected === '0' ? current !== undefined : current?.generation !== expected)) return send(412, errorBody(412));
        const o = this.put(bucket, name, Buffer.concat(chunks), { contentType: req.headers['content-type'] ?? 'application/octet-stream' });
        return send(200, JSON.stringify(selectFields(this.resource(bucket, name, o), fields)));
      }
      send(404, errorBody(404, 'Not Found', 'notFound'));
    });
  }

  private list(bucket: string, query: URLSearchParams, send: (status: number, body: string) => void): void {
    const objects = this.buckets.get(bucket);
    if (!objects) return send(404, errorBody(404, 'The specified bucket does not exist.', 'notFound'));
    const names = [...objects.keys()].sort();
    const token = query.get('pageToken');
    let from = 0;
    if (token) {
      // The token is opaque to clients; here it is the last name of the previous page.
      const after = Buffer.from(token, 'base64url').toString('utf8');
      from = names.findIndex((n) => n > after);
      if (from < 0) from = names.length;
    }
    const max = Math.min(Number(query.get('maxResults') ?? 1000), this.pageSize);
    const page = names.slice(from, from + max);
    const answer: Record<string, unknown> = { kind: 'storage#objects' };
    if (from + max < names.length) answer.nextPageToken = Buffer.from(page[page.length - 1], 'utf8').toString('base64url');
    if (page.length > 0) answer.items = page.map((n) => this.resource(bucket, n, objects.get(n)!));
    send(200, JSON.stringify(selectFields(answer, query.get('fields'))));
  }
}
