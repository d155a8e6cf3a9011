import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible model server (what vLLM serves on a GPU endpoint) that records each request's
 * `authorization` header and, like vLLM with `VLLM_API_KEY`, refuses a request without the key it
 * requires (401). `delayMs` holds each answer back (a slow model).
 */
export class KeyedUpstream {
  requiredKey: string | undefined;
  delayMs = 0;
  readonly authorizations: (string | undefined)[] = [];
  readonly bodies: Record<string, unknown>[] = [];
  private readonly server: http.Server;

  private constructor(private readonly content: string) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.authorizations.push(req.headers.authorization);
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        this.bodies.push(body);
        setTimeout(() => this.answer(req, body, res), this.delayMs);
      });
    });
  }

  static async start(content: string): Promise<KeyedUpstream> {
    const upstream = new KeyedUpstream(content);
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

  private answer(req: http.IncomingMessage, body: Record<string, unknown>, res: http.ServerResponse): void {
    if (this.requiredKey !== undefined && req.headers.authorization !== `Bearer ${this.requiredKey}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Unauthorized' }));
      return;
    }
    const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
    const base = { id: 'cmpl-up', created: 1763208000, model: body.model };
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      this.content.split(' ').forEach((w, i) => {
        res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: i === 0 ? w : ` ${w}` }, finish_reason: null }] })}\n\n`);
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
