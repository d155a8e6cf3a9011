/*
 * A local Azure AI Search data plane, the part the ingestion runtime uses, speaking REST api-version
 * 2024-07-01 as its reference documents it:
 * - learn.microsoft.com/rest/api/searchservice/indexes/get and /indexes/create-or-update (GET/PUT
 *   /indexes/{name}; `@odata.etag`; If-Match / If-None-Match → 412; 201 created, 200 updated; 404
 *   `{"error":{"code":"ResourceNotFound","message":…}}`);
 * - learn.microsoft.com/rest/api/searchservice/update-index (existing fields cannot change or go:
 *   400 `OperationNotAllowed`);
 * - learn.microsoft.com/rest/api/searchservice/addupdate-or-delete-documents (POST
 *   /indexes/{name}/docs/index, at most 1000 actions; 200 when all succeeded, 207 otherwise, each
 *   result `{key, status, errorMessage, statusCode}` per IndexingResult in
 *   Azure/azure-rest-api-specs specification/search/data-plane/Azure.Search/stable/2024-07-01/searchindex.json).
 * Bearer auth only (local auth off): a request without `Authorization: Bearer …` is 401; with
 * `api-key` it is 403.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeIndex {
  definition: Record<string, any>;
  etag: string;
  docs: Map<string, Record<string, unknown>>;
}

export interface SearchRequest {
  readonly method: string;
  readonly path: string;
  readonly apiVersion: string | null;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: any;
}

export class FakeSearch {
  readonly indexes = new Map<string, FakeIndex>();
  readonly requests: SearchRequest[] = [];
  /** Whole-request failures to answer next (e.g. 503 with Retry-After), before anything is applied. */
  readonly failNext: Array<{ status: number; headers?: Record<string, string> }> = [];
  /** Per-key failures of docs/index: the next `times` actions on `key` fail with `statusCode`. */
  readonly failKey = new Map<string, { statusCode: number; times: number; message?: string }>();
  baseUrl = '';
  private server: http.Server | undefined;
  private counter = 0;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://x');
        let body: any;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          return send(res, 400, error('InvalidRequestParameter', 'The request is invalid: the body is not JSON.'));
        }
        const request: SearchRequest = { method: req.method ?? '', path: url.pathname, apiVersion: url.searchParams.get('api-version'), headers: req.headers, body };
        this.requests.push(request);
        const answer = this.handle(request, Buffer.byteLength(text));
        send(res, answer.status, answer.body, answer.headers);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }

  /** The docs/index requests (one per batch attempt). */
  docRequests(): SearchRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/docs/index'));
  }

  private handle(r: SearchRequest, bytes: number): { status: number; body?: unknown; headers?: Record<string, string> } {
    if (r.headers['api-key']) return { status: 403, body: error('Forbidden', 'Key-based authentication is disabled for this search service.') };
    if (!/^Bearer \S+/.test(String(r.headers.authorization ?? ''))) return { status: 401, body: error('Unauthorized', 'Authentication is required.') };
    if (r.apiVersion !== '2024-07-01') return { status: 400, body: error('InvalidApiVersionParameter', `Invalid or missing api-version query string parameter: ${r.apiVersion}`) };
    const fail = this.failNext.shift();
    if (fail) return { status: fail.status, body: FAILURES[fail.status] ?? error('InternalServerError', 'An internal error occurred.'), headers: fail.headers };
    const docs = /^\/indexes\/([^/]+)\/docs\/index$/.exec(r.path);
    if (docs && r.method === 'POST') return this.indexDocuments(decodeURIComponent(docs[1]), r.body, bytes);
    const index = /^\/indexes\/([^/]+)$/.exec(r.path);
    if (index && r.method === 'GET') return this.getIndex(decodeURIComponent(index[1]));
    if (index && r.method === 'PUT') return this.putIndex(decodeURIComponent(index[1]), r);
    return { status: 404, body: error('ResourceNotFound', `No route for ${r.method} ${r.path}`) };
  }

  private getIndex(name: string) {
    const index = this.indexes.get(name);
    if (!index) return { status: 404, body: error('ResourceNotFound', `No index with the name '${name}' was found in the service 'fake'.`) };
    return { status: 200, body: { '@odata.context': `${this.baseUrl}/$metadata#indexes/$entity`, '@odata.etag': index.etag, ...index.definition } };
  }

  private putIndex(name: string, r: SearchRequest) {
    const existing = this.indexes.get(name);
    const ifMatch = r.headers['if-match'];
    const ifNoneMatch = r.headers['if-none-match'];
    if ((ifNoneMatch === '*' && existing) || (ifMatch !== undefined && ifMatch !== existing?.etag)) {
      return { status: 412, body: error('PreconditionFailed', 'The precondition given in one of the request headers evaluated to false.') };
    }
    const def = r.body;
    if (!def || def.name !== name || !Array.isArray(def.fields)) return { status: 400, body: error('InvalidRequestParameter', 'The request is invalid. Details: index : The index name in the body must match the URL.') };
    const keys = def.fields.filter((f: any) => f.key === true);
    if (keys.length !== 1) return { status: 400, body: error('InvalidRequestParameter', 'The request is invalid. Details: index.fields : The index must contain exactly one key field.') };
    for (const f of def.fields) {
      if (f.type === 'Collection(Edm.Single)') {
        const profile = def.vectorSearch?.profiles?.find((p: any) => p.name === f.vectorSearchProfile);
        if (!profile || !def.vectorSearch?.algorithms?.some((a: any) => a.name === profile.algorithm)) {
          return { status: 400, body: error('InvalidRequestParameter', `The request is invalid. Details: definition : The vector field '${f.name}' must have the name of a vector search profile that exists in the index definition.`) };
        }
        if (!(f.dimensions >= 2 && f.dimensions <= 3072)) return { status: 400, body: error('InvalidRequestParameter', `The request is invalid. Details: The 'dimensions' of field '${f.name}' must be between 2 and 3072.`) };
      }
    }
    if (existing) {
      for (const old of existing.definition.fields) {
        const now = def.fields.find((f: any) => f.name === old.name);
        const changed = now && Object.keys({ ...old, ...now }).some((k) => k !== 'retrievable' && JSON.stringify(old[k]) !== JSON.stringify(now[k]));
        if (!now || changed) {
          return { status: 400, body: error('OperationNotAllowed', `Index update not allowed because it would cause downtime. Existing field '${old.name}' cannot be changed or removed.`) };
        }
      }
    }
    const etag = `"0x${(++this.counter).toString(16).toUpperCase()}"`;
    this.indexes.set(name, { definition: def, etag, docs: existing?.docs ?? new Map() });
    return { status: existing ? 200 : 201, body: { '@odata.etag': etag, ...def } };
  }

  private indexDocuments(name: string, body: any, bytes: number) {
    const index = this.indexes.get(name);
    if (!index) return { status: 404, body: error('ResourceNotFound', `The index '${name}' for service 'fake' was not found.`) };
    if (!body || !Array.isArray(body.value)) return { status: 400, body: error('InvalidRequestParameter', 'The request is invalid. Details: The request body must contain a value array.') };
    if (body.value.length > 1000) return { status: 400, body: error('InvalidRequestParameter', 'The request is invalid. Details: actions : No more than 1000 indexing actions may be included in a single indexing batch.') };
    if (bytes > 16 * 1024 * 1024) return { status: 413, body: error('RequestEntityTooLarge', 'The request is too large.') };
    const fields = index.definition.fields as any[];
    const key = fields.find((f) => f.key === true).name;
    const results = body.value.map((action: any) => {
      const k = action[key];
      const injected = this.failKey.get(k);
      if (injected && injected.times > 0) {
        injected.times--;
        return { key: k, status: false, errorMessage: injected.message ?? 'Service is too busy.', statusCode: injected.statusCode };
      }
      const verb = action['@search.action'] ?? 'upload';
      if (verb === 'delete') {
        index.docs.delete(k);
        return { key: k, status: true, errorMessage: null, statusCode: 200 };
      }
      const doc: Record<string, unknown> = {};
      for (const [f, v] of Object.entries(action)) {
        if (f === '@search.action') continue;
        const field = fields.find((x) => x.name === f);
        if (!field) return { key: k, status: false, errorMessage: `The request is invalid. Details: The property '${f}' does not exist on type 'search.documentFields'.`, statusCode: 400 };
        if (field.type === 'Collection(Edm.Single)' && (!Array.isArray(v) || v.length !== field.dimensions)) {
          return { key: k, status: false, errorMessage: `The vector field '${f}' with dimensionality of ${field.dimensions} expects a length of ${field.dimensions}. However, the provided vector has a length of ${Array.isArray(v) ? v.length : 0}.`, statusCode: 400 };
        }
        doc[f] = v;
      }
      const existed = index.docs.has(k);
      index.docs.set(k, { ...(verb === 'upload' ? {} : index.docs.get(k)), ...doc });
      return { key: k, status: true, errorMessage: null, statusCode: existed ? 200 : 201 };
    });
    return { status: results.every((r: any) => r.status) ? 200 : 207, body: { value: results } };
  }
}

const FAILURES: Record<number, unknown> = {
  403: { error: { code: 'Forbidden', message: 'Authorization failed: the principal has no role that permits this operation.' } },
  429: { error: { code: 'TooManyRequests', message: 'You are sending too many requests. Please try again later.' } },
  503: { error: { code: 'ServiceUnavailable', message: 'Service is too busy to process the request.' } },
};

function error(code: string, message: string) {
  return { error: { code, message } };
}

function send(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; odata.metadata=minimal', ...headers });
  res.end(text);
}
