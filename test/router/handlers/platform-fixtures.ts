import { hashKey } from '../../../lib/router/engine/keys';
import { createPipeline } from '../../../lib/router/handlers/pipeline';
import { config, engineWith, fakeFactory, KEY, route, target, tenant } from '../engine/helpers';

/** A pipeline over one fake target answering "Hi there" with usage (9, 3). */
export function fixturePipeline() {
  const { factory } = fakeFactory({ a: async () => ({ content: 'Hi there', finishReason: 'stop', usage: { promptTokens: 9, completionTokens: 3 } }) });
  const { engine, logs } = engineWith(config([target('a')], [route('chat', ['a'])], [tenant({ keySha256: [hashKey(KEY)] })]), factory);
  return { handle: createPipeline(engine), logs };
}

export const chatBody = (stream = false) => JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Say hi' }], ...(stream ? { stream: true } : {}) });

/** A Lambda function URL event (payload format 2.0) as the service sends it. */
export function functionUrlEvent(method: string, path: string, body?: string, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'abc123.lambda-url.us-east-1.on.aws', 'x-forwarded-proto': 'https', 'user-agent': 'OpenAI/JS 5.23.2', ...headers },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc123',
      domainName: 'abc123.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'OpenAI/JS 5.23.2' },
      requestId: 'c0ffee00-1111-2222-3333-444455556666',
      routeKey: '$default',
      stage: '$default',
      time: '15/Nov/2025:12:00:00 +0000',
      timeEpoch: 1763208000000,
    },
    ...(body !== undefined ? { body: Buffer.from(body).toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

export function sseChunks(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((e) => e && e !== 'data: [DONE]')
    .map((e) => JSON.parse(e.slice('data: '.length)));
}
