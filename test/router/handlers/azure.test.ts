import { createAzureHandler } from '../../../lib/router/handlers/azure';
import { KEY } from '../engine/helpers';
import { chatBody, fixturePipeline, sseChunks } from './platform-fixtures';

/** An Azure Functions v4 HttpRequest: full URL (default /api route prefix), Fetch Headers, text(). */
const azureRequest = (method: string, path: string, body?: string, auth = `Bearer ${KEY}`) => ({
  method,
  url: `https://support-ai-router.azurewebsites.net/api${path}`,
  headers: new Headers({ authorization: auth, 'content-type': 'application/json', 'x-ms-client-request-id': 'abc' }),
  text: async () => body ?? '',
});

async function readAll(body: string | ReadableStream<Uint8Array>): Promise<string> {
  if (typeof body === 'string') return body;
  return new Response(body).text();
}

describe('Azure Functions v4 HTTP handler', () => {
  test('a completion: status, headers, string body; the invocation id becomes the request id', async () => {
    const r = await createAzureHandler(fixturePipeline().handle)(azureRequest('POST', '/v1/chat/completions', chatBody()), { invocationId: 'inv-42' });
    expect(r.status).toBe(200);
    expect(r.headers).toMatchObject({ 'x-ai-stack-target': 'a', 'x-ai-stack-attempts': '1', 'x-request-id': 'inv-42' });
    expect(typeof r.body).toBe('string');
    expect(JSON.parse(r.body as string).id).toBe('chatcmpl-inv-42');
  });

  test('a stream is a ReadableStream of the SSE bytes', async () => {
    const r = await createAzureHandler(fixturePipeline().handle)(azureRequest('POST', '/v1/chat/completions', chatBody(true)), { invocationId: 'inv-43' });
    expect(r.body).toBeInstanceOf(ReadableStream);
    const text = await readAll(r.body);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(sseChunks(text).length).toBeGreaterThan(2);
  });

  test('cancelling the stream (client gone) stops the engine stream and settles it', async () => {
    const { handle, logs } = fixturePipeline();
    const r = await createAzureHandler(handle)(azureRequest('POST', '/v1/chat/completions', chatBody(true)), {});
    const reader = (r.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    expect(logs[logs.length - 1]).toMatchObject({ outcome: 'client_closed', status: 499 });
  });

  test('GET /api/v1/models and an unknown key', async () => {
    const handler = createAzureHandler(fixturePipeline().handle);
    const models = await handler(azureRequest('GET', '/v1/models'), {});
    expect(JSON.parse(models.body as string).data[0].id).toBe('chat');
    const denied = await handler(azureRequest('POST', '/v1/chat/completions', chatBody(), 'Bearer wrong-wrong-wrong-wrong'), {});
    expect(denied.status).toBe(401);
  });
});
