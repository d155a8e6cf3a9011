import { createLambdaHandler, type AwsLambdaGlobal, type FunctionUrlEvent, type FunctionUrlResult, type LambdaResponseStream } from '../../../lib/router/handlers/lambda';
import { embeddedMetricRecord } from '../../../lib/router/log';
import { chatBody, fixturePipeline, functionUrlEvent, sseChunks } from './platform-fixtures';

type Buffered = (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;

/** The Node.js runtime's `awslambda` global: streamifyResponse hands the handler a response stream. */
function fakeAwsLambda() {
  const writes: string[] = [];
  const metadata: { statusCode: number; headers: Record<string, string> }[] = [];
  let ended = false;
  const stream: LambdaResponseStream = {
    write: (chunk) => {
      writes.push(chunk);
      return true;
    },
    end: () => {
      ended = true;
    },
  };
  type Inner = (event: FunctionUrlEvent, responseStream: LambdaResponseStream, context: unknown) => Promise<void>;
  const awslambda: AwsLambdaGlobal = {
    streamifyResponse: (inner: Inner) => (event: FunctionUrlEvent) => inner(event, stream, {}),
    HttpResponseStream: {
      from: (s, meta) => {
        metadata.push(meta);
        return s;
      },
    },
  };
  return { awslambda, writes, metadata, ended: () => ended };
}

describe('Lambda function URL handler', () => {
  test('buffered: a completion with status, router headers and JSON body (base64 request body)', async () => {
    const handler = createLambdaHandler(fixturePipeline().handle, undefined) as Buffered;
    const r = await handler(functionUrlEvent('POST', '/v1/chat/completions', chatBody()));
    expect(r.statusCode).toBe(200);
    expect(r.isBase64Encoded).toBe(false);
    expect(r.headers).toMatchObject({ 'content-type': 'application/json', 'x-ai-stack-target': 'a', 'x-ai-stack-attempts': '1', 'x-ai-stack-cost-usd': '0.000015000', 'x-request-id': 'c0ffee00-1111-2222-3333-444455556666' });
    expect(JSON.parse(r.body).choices[0].message.content).toBe('Hi there');
  });

  test('buffered: a stream request returns the whole SSE text', async () => {
    const handler = createLambdaHandler(fixturePipeline().handle, undefined) as Buffered;
    const r = await handler(functionUrlEvent('POST', '/v1/chat/completions', chatBody(true)));
    expect(r.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(r.body.endsWith('data: [DONE]\n\n')).toBe(true);
    expect((sseChunks(r.body) as { choices: { delta: { content?: string } }[] }[]).map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hi there');
  });

  test('buffered: refusals keep their status and OpenAI error body', async () => {
    const handler = createLambdaHandler(fixturePipeline().handle, undefined) as Buffered;
    const r = await handler(functionUrlEvent('POST', '/v1/chat/completions', chatBody(), { authorization: 'Bearer nope-nope-nope-nope' }));
    expect(r.statusCode).toBe(401);
    expect(JSON.parse(r.body).error.code).toBe('invalid_api_key');
    const models = await handler(functionUrlEvent('GET', '/v1/models'));
    expect(models.statusCode).toBe(200);
  });

  test('streaming: status and headers through HttpResponseStream.from, then each SSE chunk as written', async () => {
    const fake = fakeAwsLambda();
    const handler = createLambdaHandler(fixturePipeline().handle, fake.awslambda) as (event: FunctionUrlEvent) => Promise<void>;
    await handler(functionUrlEvent('POST', '/v1/chat/completions', chatBody(true)));
    expect(fake.metadata).toEqual([{ statusCode: 200, headers: expect.objectContaining({ 'content-type': 'text/event-stream; charset=utf-8', 'x-ai-stack-target': 'a' }) }]);
    expect(fake.writes.length).toBeGreaterThan(3);
    expect(fake.writes[fake.writes.length - 1]).toBe('data: [DONE]\n\n');
    expect(fake.ended()).toBe(true);
  });

  test('streaming: a plain completion is written whole', async () => {
    const fake = fakeAwsLambda();
    const handler = createLambdaHandler(fixturePipeline().handle, fake.awslambda) as (event: FunctionUrlEvent) => Promise<void>;
    await handler(functionUrlEvent('POST', '/v1/chat/completions', chatBody()));
    expect(fake.metadata[0].statusCode).toBe(200);
    expect(fake.writes).toHaveLength(1);
    expect(JSON.parse(fake.writes[0]).usage.total_tokens).toBe(12);
  });
});

describe('CloudWatch Embedded Metric Format', () => {
  test('one record carries the metrics with route/target/tenant dimensions and the log fields', () => {
    const emf = embeddedMetricRecord(
      { time: '2025-11-15T12:00:00.000Z', requestId: 'r1', tenant: 'acme', route: 'chat', target: 'a', attempts: 2, fallbacks: 1, retries: 0, promptTokens: 9, completionTokens: 3, costUsd: 0.000015, latencyMs: 12.34567, overheadMs: 0.41234, outcome: 'ok', status: 200, stream: false },
      1763208000000,
    );
    expect(emf).toEqual({
      _aws: {
        Timestamp: 1763208000000,
        CloudWatchMetrics: [
          {
            Namespace: 'AiStack/Router',
            Dimensions: [['route', 'target', 'tenant']],
            Metrics: [
              { Name: 'Requests', Unit: 'Count' },
              { Name: 'CostUsd', Unit: 'None' },
              { Name: 'LatencyMs', Unit: 'Milliseconds' },
              { Name: 'OverheadMs', Unit: 'Milliseconds' },
              { Name: 'Tokens', Unit: 'Count' },
              { Name: 'Fallbacks', Unit: 'Count' },
              { Name: 'Retries', Unit: 'Count' },
            ],
          },
        ],
      },
      time: '2025-11-15T12:00:00.000Z',
      requestId: 'r1',
      tenant: 'acme',
      route: 'chat',
      target: 'a',
      attempts: 2,
      fallbacks: 1,
      retries: 0,
      promptTokens: 9,
      completionTokens: 3,
      costUsd: 0.000015,
      latencyMs: 12.34567,
      overheadMs: 0.41234,
      outcome: 'ok',
      status: 200,
      stream: false,
      Requests: 1,
      CostUsd: 0.000015,
      LatencyMs: 12.346,
      OverheadMs: 0.412,
      Tokens: 12,
      Fallbacks: 1,
      Retries: 0,
    });
  });

  test('refused requests get "none" dimension values', () => {
    const emf = embeddedMetricRecord({ time: 't', requestId: 'r', attempts: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, latencyMs: 0.1, overheadMs: 0.1, outcome: 'invalid_api_key', status: 401, stream: false }, 0);
    expect(emf).toMatchObject({ route: 'none', target: 'none', tenant: 'none', Requests: 1 });
  });
});
