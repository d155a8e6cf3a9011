import { EventEmitter } from 'node:events';
import { createGcpHandler, type GcpResponse } from '../../../lib/router/handlers/gcp';
import { KEY } from '../engine/helpers';
import { chatBody, fixturePipeline, sseChunks } from './platform-fixtures';

/** An Express-like response recording what the handler writes. */
class FakeResponse extends EventEmitter implements GcpResponse {
  status = 0;
  headers: Record<string, string | number> = {};
  chunks: string[] = [];
  ended = false;
  destroyed = false;
  writeHead(status: number, headers: Record<string, string | number>) {
    this.status = status;
    this.headers = headers;
    return this;
  }
  flushHeaders() {}
  write(chunk: string) {
    this.chunks.push(chunk);
    return true;
  }
  end(chunk?: string) {
    if (chunk) this.chunks.push(chunk);
    this.ended = true;
    return this;
  }
}

/** The request functions-framework passes: JSON already parsed into `body`, the bytes in `rawBody`. */
const gcpRequest = (method: string, path: string, body?: string) => ({
  method,
  path,
  url: path,
  headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1' },
  ...(body ? { body: JSON.parse(body), rawBody: Buffer.from(body) } : {}),
});

describe('Cloud Functions HTTP handler', () => {
  test('a completion: status, router headers and JSON body', async () => {
    const res = new FakeResponse();
    await createGcpHandler(fixturePipeline().handle)(gcpRequest('POST', '/v1/chat/completions', chatBody()), res);
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json', 'x-ai-stack-target': 'a', 'x-ai-stack-cost-usd': '0.000015000' });
    expect(JSON.parse(res.chunks.join('')).choices[0].message.content).toBe('Hi there');
    expect(res.ended).toBe(true);
  });

  test('a stream is written chunk by chunk', async () => {
    const res = new FakeResponse();
    await createGcpHandler(fixturePipeline().handle)(gcpRequest('POST', '/v1/chat/completions', chatBody(true)), res);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.chunks.length).toBeGreaterThan(3);
    expect(res.chunks[res.chunks.length - 1]).toBe('data: [DONE]\n\n');
    expect(sseChunks(res.chunks.join('')).length).toBeGreaterThan(2);
  });

  test('a body parsed by the framework without rawBody is serialized back', async () => {
    const res = new FakeResponse();
    const { rawBody: _drop, ...req } = gcpRequest('POST', '/v1/chat/completions', chatBody());
    await createGcpHandler(fixturePipeline().handle)(req, res);
    expect(res.status).toBe(200);
  });

  test('an unknown key is a 401 in OpenAI shape', async () => {
    const res = new FakeResponse();
    await createGcpHandler(fixturePipeline().handle)({ ...gcpRequest('POST', '/v1/chat/completions', chatBody()), headers: { authorization: 'Bearer unknown-key-0000000000' } }, res);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.chunks.join('')).error.type).toBe('authentication_error');
  });
});
