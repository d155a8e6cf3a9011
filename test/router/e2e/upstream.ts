import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal OpenAI-compatible chat server (what vLLM serves on a GPU endpoint): answers
 * `POST /v1/chat/completions` with `content` as JSON, or as SSE when `stream` is set. `failNext`
 * makes the next requests answer 503, as an overloaded server does.
 */
export class OpenAiUpstream {
  failNext = 0;
  readonly received: Record<string, unknown>[] = [];
  private readonly server: http.Server;

  private constructor(private readonly content: string) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.answer(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'), res));
    });
  }

  static async start(content: string): Promise<OpenAiUpstream> {
    const upstream = new OpenAiUpstream(content);
    await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
    return upstream;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(body: Record<string, unknown>, res: http.ServerResponse): void {
    this.received.push(body);
    if (this.failNext > 0) {
      this.failNext--;
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'model is overloaded', type: 'server_error' } }));
      return;
    }
    const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
    const base = { id: 'cmpl-up', created: 1763208000, model: body.model };
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const words = this.content.split(' ');
      words.forEach((w, i) => {
        const delta = { content: i === 0 ? w : ` ${w}` };
        res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`);
      });
      res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: this.content }, finish_reason: 'stop' }], usage }));
  }
}
