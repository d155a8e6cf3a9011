/**
 * A fake Vertex AI Vector Search index (stream updates), as the REST reference documents it:
 * - cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.indexes/upsertDatapoints:
 *   `POST /v1/{index}:upsertDatapoints` `{"datapoints":[IndexDatapoint], "updateMask"?}` → empty body;
 *   IndexDatapoint fields `datapointId`, `featureVector`, `sparseEmbedding`, `restricts`
 *   (`{namespace, allowList, denyList}`), `numericRestricts`, `crowdingTag`, `embeddingMetadata`.
 *   A vector whose length is not the index's dimensions is refused with 400 INVALID_ARGUMENT; a
 *   field the message does not have with 400 "Invalid JSON payload received. Unknown name …".
 * - …/projects.locations.indexes/removeDatapoints: `POST /v1/{index}:removeDatapoints`
 *   `{"datapointIds":[…]}` → empty body (ids not in the index are no error).
 * - Errors in Google's JSON shape `{"error":{"code":400,"message":"…","status":"INVALID_ARGUMENT"}}`
 *   (cloud.google.com/apis/design/errors); 429 RESOURCE_EXHAUSTED and 503 UNAVAILABLE on demand.
 * `handle` answers one parsed request, so it can sit behind embed-server.ts's `scriptedServer` (one
 * local server for the whole regional endpoint: embeddings and index); `start` serves it alone.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Recorded, Reply } from '../embed-server';

export interface StoredDatapoint {
  readonly datapointId: string;
  readonly featureVector: number[];
  readonly restricts?: Array<{ namespace: string; allowList?: string[] }>;
  readonly embeddingMetadata?: { documentId: string; chunkIndex: number; text: string };
}

const DATAPOINT_FIELDS = new Set(['datapointId', 'featureVector', 'sparseEmbedding', 'restricts', 'numericRestricts', 'crowdingTag', 'embeddingMetadata']);
const STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

export const googleError = (code: number, message: string): Reply => ({ status: code, body: JSON.stringify({ error: { code, message, status: STATUS[code] ?? 'UNKNOWN' } }) });

export class VectorSearchFake {
  readonly datapoints = new Map<string, StoredDatapoint>();
  /** Requests addressed to the index, in order. */
  readonly calls: Recorded[] = [];
  private failures: number[] = [];
  private server?: http.Server;
  baseUrl = '';

  constructor(
    readonly index: string,
    readonly dimensions: number,
  ) {}

  /** The next requests answer these statuses, one each (429 and 503 as Vertex words them). */
  failNext(...statuses: number[]): void {
    this.failures.push(...statuses);
  }

  /** Whether `r` is addressed to an index (the rest of the regional endpoint is someone else's). */
  owns(r: Recorded): boolean {
    return /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/indexes\/[^/:]+:/.test(r.url);
  }

  handle(r: Recorded): Reply {
    this.calls.push(r);
    const failure = this.failures.shift();
    if (failure === 429) return googleError(429, 'Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: matching-engine.');
    if (failure !== undefined) return googleError(failure, failure === 503 ? 'The service is currently unavailable.' : 'Internal error encountered.');
    if (!/^Bearer \S+$/.test(String(r.headers.authorization ?? ''))) return googleError(401, 'Request is missing required authentication credential. Expected OAuth 2 access token.');
    const m = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/indexes\/[^/:]+):(\w+)$/.exec(r.url);
    if (!m || r.method !== 'POST') return googleError(404, 'The requested URL was not found on this server.');
    if (m[1] !== this.index) return googleError(404, `Index \`${m[1]}\` is not found.`);
    const body = r.body as Record<string, unknown> | undefined;
    if (m[2] === 'upsertDatapoints') return this.upsert(body);
    if (m[2] === 'removeDatapoints') return this.remove(body);
    return googleError(404, 'The requested URL was not found on this server.');
  }

  private upsert(body: Record<string, unknown> | undefined): Reply {
    const list = body?.datapoints;
    if (!Array.isArray(list)) return googleError(400, 'Invalid argument: datapoints must be a list.');
    const valid: StoredDatapoint[] = [];
    for (const [i, d] of list.entries()) {
      for (const key of Object.keys(d)) {
        if (!DATAPOINT_FIELDS.has(key)) return googleError(400, `Invalid JSON payload received. Unknown name "${key}" at 'datapoints[${i}]': Cannot find field.`);
      }
      if (typeof d.datapointId !== 'string' || d.datapointId === '') return googleError(400, `datapoints[${i}].datapoint_id is required.`);
      if (!Array.isArray(d.featureVector) || !d.featureVector.every((x: unknown) => typeof x === 'number')) return googleError(400, `datapoints[${i}].feature_vector must be a list of numbers.`);
      if (d.featureVector.length !== this.dimensions) {
        return googleError(400, `Incorrect dimensionality. Expected ${this.dimensions}, got ${d.featureVector.length} for datapoint ${d.datapointId}.`);
      }
      for (const restrict of d.restricts ?? []) {
        if (typeof restrict.namespace !== 'string' || !Array.isArray(restrict.allowList ?? [])) return googleError(400, `datapoints[${i}].restricts: namespace and allow_list are required.`);
      }
      valid.push(d as StoredDatapoint);
    }
    // All or nothing, as one request is.
    for (const d of valid) this.datapoints.set(d.datapointId, d);
    return { status: 200, body: '{}' };
  }

  private remove(body: Record<string, unknown> | undefined): Reply {
    const ids = body?.datapointIds;
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string')) return googleError(400, 'Invalid argument: datapoint_ids must be a list of strings.');
    for (const id of ids) this.datapoints.delete(id);
    return { status: 200, body: '{}' };
  }

  /** Serves `handle` alone on a local port. */
  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          const reply = googleError(400, 'Invalid JSON payload received.');
          res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
          return;
        }
        const reply = this.handle({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8', ...reply.headers });
        res.end(reply.body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
