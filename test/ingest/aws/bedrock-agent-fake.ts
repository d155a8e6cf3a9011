// A local Bedrock Agent control-plane API, the one operation the freshness probe calls, in its REST
// (restJson1) wire format as the API reference documents it:
//   https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ListIngestionJobs.html
//   POST /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/ingestionjobs/
//   body { sortBy: { attribute: STARTED_AT|STATUS, order }, maxResults 1-1000, nextToken, filters }
//   200 { ingestionJobSummaries: [{ knowledgeBaseId, dataSourceId, ingestionJobId, status, startedAt,
//         updatedAt, statistics: { numberOfDocumentsScanned, ... } }], nextToken }
// Errors as AWS JSON services send them (https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html):
// the status, an `x-amzn-ErrorType: <Code>:<namespace>` header and a `{"message": ...}` body.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeJob {
  readonly ingestionJobId: string;
  readonly status: 'STARTING' | 'IN_PROGRESS' | 'COMPLETE' | 'FAILED' | 'STOPPING' | 'STOPPED';
  readonly startedAt: Date;
  readonly updatedAt: Date;
  readonly statistics?: Readonly<Record<string, number>>;
}

export interface FakeError {
  readonly status: number;
  readonly type: 'ThrottlingException' | 'AccessDeniedException' | 'InternalServerException' | 'ResourceNotFoundException' | 'ValidationException';
  readonly message: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly authorization?: string;
}

const ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazon.bedrock.agent/';

export class FakeBedrockAgent {
  readonly requests: RecordedRequest[] = [];
  /** Answered, in order, before any normal answer. */
  readonly failNext: FakeError[] = [];
  jobs: FakeJob[] = [];
  private server?: Server;

  constructor(readonly knowledgeBaseId: string, readonly dataSourceId: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void readJson(req).then((body) => {
        const path = req.url ?? '';
        this.requests.push({ method: req.method ?? '', path, body, authorization: req.headers.authorization });
        const answer = this.answer(req.method ?? '', path, body, req.headers.authorization);
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': `req-${this.requests.length}` };
        if ('error' in answer) headers['x-amzn-errortype'] = `${answer.error.type}:${ERROR_NAMESPACE}`;
        res.writeHead('error' in answer ? answer.error.status : 200, headers);
        res.end(JSON.stringify('error' in answer ? { message: answer.error.message } : answer.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private answer(method: string, path: string, body: Record<string, unknown>, authorization: string | undefined): { body: unknown } | { error: FakeError } {
    const m = /^\/knowledgebases\/([^/]+)\/datasources\/([^/]+)\/ingestionjobs\/$/.exec(path);
    if (method !== 'POST' || !m) return { error: { status: 404, type: 'ResourceNotFoundException', message: `no route ${method} ${path}` } };
    // Every real call is SigV4-signed; an unsigned one would be refused.
    if (!authorization?.startsWith('AWS4-HMAC-SHA256 ')) return { error: { status: 403, type: 'AccessDeniedException', message: 'Missing Authentication Token' } };
    const injected = this.failNext.shift();
    if (injected) return { error: injected };
    if (m[1] !== this.knowledgeBaseId || m[2] !== this.dataSourceId) {
      return { error: { status: 404, type: 'ResourceNotFoundException', message: `Data source ${m[2]} in knowledge base ${m[1]} was not found` } };
    }
    const maxResults = body.maxResults === undefined ? 1000 : Number(body.maxResults);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) {
      return { error: { status: 400, type: 'ValidationException', message: '1 validation error detected: maxResults must be between 1 and 1000' } };
    }
    const sortBy = body.sortBy as { attribute?: string; order?: string } | undefined;
    const sorted = [...this.jobs];
    if (sortBy?.attribute === 'STARTED_AT') sorted.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    if (sortBy?.order === 'DESCENDING') sorted.reverse();
    const offset = typeof body.nextToken === 'string' ? Number(Buffer.from(body.nextToken, 'base64').toString('utf8')) : 0;
    const page = sorted.slice(offset, offset + maxResults);
    const next = offset + maxResults < sorted.length ? Buffer.from(String(offset + maxResults), 'utf8').toString('base64') : undefined;
    return {
      body: {
        ingestionJobSummaries: page.map((j) => ({
          knowledgeBaseId: this.knowledgeBaseId,
          dataSourceId: this.dataSourceId,
          ingestionJobId: j.ingestionJobId,
          status: j.status,
          startedAt: j.startedAt.toISOString(),
          updatedAt: j.updatedAt.toISOString(),
          ...(j.statistics ? { statistics: j.statistics } : {}),
        })),
        ...(next ? { nextToken: next } : {}),
      },
    };
  }
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {});
    });
  });
}
