import * as http from 'node:http';
import * as https from 'node:https';
import { pipeline, type Readable, type Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { TLSSocket } from 'node:tls';
import * as zlib from 'node:zlib';
import { classifyHttpError, errorDetailsOfText, retryAfterMs, transportError } from './errors';
import { SseDecoder } from './sse';
import { ProviderError } from './types';
import type { CancelSignal } from '../engine/cancel';

/** A 2xx answer of a provider: status, headers and the body's bytes (already decompressed). */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Destroying it before its end closes the connection (see `sseData`). */
  readonly body: Readable;
  /** The undecoded answer; `complete` once its last byte has arrived. */
  readonly raw: http.IncomingMessage;
}

/*
 * node:http rather than the global fetch: undici's fetch cost ~0.47 ms of CPU per call (WHATWG
 * streams, Headers, Response objects) against ~0.1-0.2 ms here; in bench/router.js the router went
 * from ~1.3k to ~3k req/s and lost tens of ms of p99.
 *
 * One pool per protocol for the whole process, shared by every target, so connections (and TLS
 * sessions) to a provider are reused across requests and adapters.
 * - maxSockets is high on purpose: a stream holds its socket for the whole generation (tens of
 *   seconds), and a low cap would queue new calls behind running streams with no error. 1024 per
 *   host still bounds file descriptors against a runaway.
 * - timeout closes idle sockets after 4 s, before the 5 s keep-alive of uvicorn (vLLM) and Node
 *   servers: reusing a socket the server is closing at that moment fails the call with ECONNRESET.
 *   (The agent also honours a shorter `Keep-Alive: timeout=N` hint.) It does not bound a call in
 *   progress; the attempt's CancelSignal does.
 * - noDelay: no Nagle delay on a small request behind an unacknowledged one.
 */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 1024, maxFreeSockets: 256, timeout: 4_000, scheduling: 'lifo', noDelay: true } as const;
const httpAgent = new http.Agent(AGENT_OPTIONS);
const httpsAgent = new https.Agent(AGENT_OPTIONS);

/**
 * Bounds making a new connection (TCP, and TLS for https), as fetch did: an unreachable host fails
 * the attempt as `timeout` in 10 s instead of holding it for the route's whole timeoutMs.
 */
const CONNECT_TIMEOUT_MS = 10_000;

/*
 * No accept-encoding is sent (fetch sent gzip, deflate): the answers are small JSON or SSE, so
 * compression saves little and adds CPU and buffering on both sides. A server that compresses
 * anyway is still understood. The sync-flush options (as in undici) keep a truncated body readable.
 */
const FLUSH = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(FLUSH),
  'x-gzip': () => zlib.createGunzip(FLUSH),
  deflate: () => zlib.createInflate(FLUSH),
  br: () => zlib.createBrotliDecompress(),
};

/**
 * POSTs a JSON body and returns the response when its status is 2xx. Every failure becomes a
 * `ProviderError`: no answer → `timeout`; an error status → the class of that status and body.
 */
export function postJson(where: string, url: string, headers: Record<string, string>, body: unknown, signal: CancelSignal): Promise<UpstreamResponse> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(transportError(where, signal.reason, signal));
    let req: http.ClientRequest;
    try {
      const target = requestTarget(url);
      req = target.client.request({
        ...target.options,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers, 'content-length': Buffer.byteLength(payload) },
      });
    } catch (error) {
      return reject(transportError(where, error, signal));
    }
    // Aborting destroys the request, and the response with it if it has begun. A listener of our own
    // does what the `signal` option does for ~15 µs less a call (that one also watches the stream).
    let answer: http.IncomingMessage | undefined;
    const onAbort = () => abortRequest(req, answer);
    const detach = () => signal.removeEventListener('abort', onAbort);
    signal.addEventListener('abort', onAbort, { once: true });
    req.once('close', detach);
    req.on('error', (error) => reject(transportError(where, error, signal)));
    req.once('socket', (socket) => {
      guardSocket(socket);
      if (!socket.connecting) return; // a pooled connection
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
      const done = () => clearTimeout(timer);
      socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', done).once('close', done);
    });
    req.on('response', (res) => {
      answer = res;
      // Once the answer is in, the socket may go back to the pool at any moment: an abort after that
      // must not reach it (see abortRequest).
      res.once('end', detach);
      const status = res.statusCode ?? 0;
      const decode = DECODERS[String(res.headers['content-encoding'] ?? '').trim().toLowerCase()];
      // pipeline destroys the response when the decoder is destroyed early, so closing still closes.
      const decoded: Readable = decode ? pipeline(res, decode(), () => undefined) : res;
      if (status >= 200 && status < 300) return resolve({ status, headers: res.headers, body: decoded, raw: res });
      httpError(where, status, res.headers, decoded, signal).then(reject, reject);
    });
    // Headers and body leave in one write.
    req.end(payload);
  });
}

/**
 * Stops a call whose attempt was aborted (timeout, client gone, stream failed or finished early).
 *
 * - When the answer has arrived in full (`complete`), nothing is destroyed: its rest is drained and
 *   node-http hands the socket back to the pool. Destroying it then raced that hand-back: node
 *   removes the request's 'error' listener from the socket when it frees it, and a socket destroyed
 *   *with an error* in that window emitted an 'error' nobody listened to, which killed the process
 *   (issue #10: an in-band stream error followed by the engine's abort of the finished attempt).
 * - Otherwise the request is destroyed *without* an error: the socket closes without an 'error'
 *   event; the request's own 'error' (socket hang up) goes to our listener, which reports the
 *   attempt as aborted from the signal's reason.
 */
function abortRequest(req: http.ClientRequest, answer: http.IncomingMessage | undefined): void {
  if (answer?.complete) {
    if (!answer.readableEnded) drain(answer);
    return;
  }
  req.destroy();
}

/** Reads and drops the rest of an answer so its socket can be reused. */
export function drain(body: Readable): void {
  body.on('error', ignore);
  // resume() does nothing while an async iterator's 'readable' listener is on.
  body.removeAllListeners('readable');
  body.resume();
}

const ignore = () => undefined;
const GUARDED = Symbol('ai-stack.guarded');

/**
 * One no-op 'error' listener per socket, for the whole of its life in the pool: node-http leaves a
 * freed socket without one between the response's end and its return to the pool ("TODO(ronag)" in
 * _http_client.js), and any error there would otherwise be thrown. Errors still reach the request.
 */
function guardSocket(socket: import('node:net').Socket): void {
  const s = socket as import('node:net').Socket & { [GUARDED]?: true };
  if (s[GUARDED]) return;
  s[GUARDED] = true;
  socket.on('error', ignore);
}

interface RequestTarget {
  readonly client: typeof http | typeof https;
  readonly options: http.RequestOptions;
}

/** Adapters call the same few URLs again and again: parse each once. */
const targets = new Map<string, RequestTarget>();

function requestTarget(url: string): RequestTarget {
  let target = targets.get(url);
  if (!target) {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    // hostname keeps an IPv6 address's brackets; the socket wants the bare address.
    const options = { protocol: u.protocol, hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port, path: `${u.pathname}${u.search}`, agent: secure ? httpsAgent : httpAgent };
    target = { client: secure ? https : http, options };
    if (targets.size >= 256) targets.clear(); // bounded, though the URLs of a config are few
    targets.set(url, target);
  }
  return target;
}

/** Reads a whole JSON response body. */
export async function readJson(where: string, response: UpstreamResponse, signal: CancelSignal): Promise<unknown> {
  let text: string;
  try {
    text = await readText(response.body);
  } catch (error) {
    throw transportError(where, error, signal);
  }
  return parseJson(where, text);
}

/** Parses one JSON document from a provider; a provider answering garbage is a server fault. */
export function parseJson(where: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError('server', `${where}: answer is not JSON: ${text.slice(0, 200)}`);
  }
}

/**
 * The `data` of each server-sent event of a streamed response. Stopping early (the consumer returns)
 * closes the connection so the provider stops generating billed tokens, unless the answer has
 * already arrived in full or its `[DONE]` event has (OpenAI's last event: only the chunked body's
 * terminator can follow, often in the next packet): then the rest is drained and the socket goes
 * back to the pool, saving the next call a TCP and TLS handshake. (Destroying it after `[DONE]`
 * cost every stream a new connection: ~5 ms of added latency and a fifth of the throughput.)
 *
 * The body is read with its own 'data' listener (`SseBody`) rather than its async iterator: the
 * events of a packet are decoded in one go as it arrives, and the generator waits on a promise only
 * when none is left. The async iterator cost a `read()`, a 'readable' tick and a promise per chunk
 * (an HTTP chunk per event here), and a TextDecoder an ICU converter per stream.
 */
export async function* sseData(where: string, response: UpstreamResponse, signal: CancelSignal): AsyncGenerator<string> {
  const reader = new SseBody(response.body);
  let finished = false;
  let sawDone = false;
  try {
    for (;;) {
      const data = reader.shift();
      if (data !== undefined) {
        if (data === '[DONE]') sawDone = true;
        yield data;
        continue;
      }
      if (reader.state === 'ended') {
        finished = true;
        return;
      }
      if (reader.state === 'failed') {
        finished = true; // the body is already destroyed: nothing left to close
        throw sseBroke(where, reader.error, signal);
      }
      await reader.wait();
    }
  } finally {
    releaseSse(response, reader, finished, sawDone);
  }
}

/** The error of a streamed body that broke (or was aborted: then the signal's reason). */
export function sseBroke(where: string, error: unknown, signal: CancelSignal): ProviderError {
  return signal.aborted ? transportError(where, error, signal) : new ProviderError('server', `${where}: stream broke: ${(error as Error).message}`);
}

/**
 * Lets go of a streamed body read by `reader` (see `sseData`): nothing to do once it ended or failed
 * (`finished`); a body whose answer is all here, or that sent OpenAI's `[DONE]`, is drained so its
 * socket goes back to the pool; any other is destroyed, closing the connection.
 */
export function releaseSse(response: UpstreamResponse, reader: SseBody, finished: boolean, sawDone: boolean): void {
  reader.detach();
  if (!finished && !response.raw.complete && !sawDone) response.body.destroy();
  else if (!finished) drain(response.body); // the answer is all here: read the rest, keep the socket
}

/** Most decoded text queued ahead of the consumer before the body is paused (TCP backpressure, as a Readable's buffer). */
const SSE_HIGH_WATER_CHARS = 64 * 1024;
const UTF8_BOM = '\uFEFF';

/**
 * Reads an SSE body as it arrives: decodes each chunk (UTF-8, split characters kept for the next
 * one, a leading BOM dropped as TextDecoder does) into `data` strings queued for `shift()`. The body
 * is paused while the queue holds more than `SSE_HIGH_WATER_CHARS`, so a slow consumer slows the
 * provider down instead of growing the queue. A body that closes before its end fails with
 * "Premature close", as its async iterator did.
 */
export class SseBody {
  state: 'reading' | 'ended' | 'failed' = 'reading';
  error: unknown = undefined;
  private readonly decoder = new StringDecoder('utf8');
  private readonly sse = new SseDecoder();
  private queue: string[] = [];
  private head = 0;
  private queuedChars = 0;
  private paused = false;
  private first = true;
  private wake: (() => void) | undefined = undefined;

  constructor(private readonly body: Readable) {
    body.on('data', this.onData);
    body.on('end', this.onEnd);
    body.on('error', this.onError);
    body.on('close', this.onClose);
  }

  /** The next queued data, if any. */
  shift(): string | undefined {
    if (this.head === this.queue.length) return undefined;
    const data = this.queue[this.head++];
    this.queuedChars -= data.length;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      this.queuedChars = 0;
      if (this.paused) {
        this.paused = false;
        this.body.resume();
      }
    }
    return data;
  }

  /** Resolves once there is data, or the body ended or failed. */
  wait(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** Stops listening (an 'error' after this is ignored: the socket's owner sees it). */
  detach(): void {
    this.body.off('data', this.onData);
    this.body.off('end', this.onEnd);
    this.body.off('close', this.onClose);
    this.body.off('error', this.onError);
    this.body.on('error', ignore);
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    if (!wake) return;
    this.wake = undefined;
    wake();
  }

  private enqueue(text: string): void {
    if (this.first && text !== '') {
      this.first = false;
      if (text.startsWith(UTF8_BOM)) text = text.slice(1);
    }
    const events = this.sse.push(text);
    for (let i = 0; i < events.length; i++) {
      this.queue.push(events[i]);
      this.queuedChars += events[i].length;
    }
  }

  private readonly onData = (chunk: Buffer | string): void => {
    this.enqueue(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    if (this.queuedChars > SSE_HIGH_WATER_CHARS && !this.paused) {
      this.paused = true;
      this.body.pause();
    }
    if (this.head < this.queue.length) this.wakeUp();
  };

  private readonly onEnd = (): void => {
    if (this.state !== 'reading') return;
    this.enqueue(this.decoder.end());
    const last = this.sse.end();
    for (let i = 0; i < last.length; i++) this.queue.push(last[i]);
    this.state = 'ended';
    this.wakeUp();
  };

  private readonly onError = (error: unknown): void => {
    if (this.state !== 'reading') return;
    this.state = 'failed';
    this.error = error;
    this.wakeUp();
  };

  private readonly onClose = (): void => {
    if (this.state !== 'reading') return;
    this.state = 'failed';
    this.error = Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    this.wakeUp();
  };
}

/** The whole body as text; rejects if the body breaks or closes before its end. */
function readText(body: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    if (body.destroyed) return reject(body.errored ?? new Error('the answer closed before its end'));
    const chunks: Buffer[] = [];
    let ended = false;
    body.on('data', (c: Buffer) => chunks.push(c));
    body.on('end', () => {
      ended = true;
      resolve((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8'));
    });
    body.on('error', reject);
    // An aborted IncomingMessage may close without an 'error'.
    body.on('close', () => ended || reject(new Error('the answer closed before its end')));
  });
}

async function httpError(where: string, status: number, headers: http.IncomingHttpHeaders, body: Readable, signal: CancelSignal): Promise<ProviderError> {
  let text = '';
  try {
    text = await readText(body);
  } catch (error) {
    if (signal.aborted) return transportError(where, error, signal);
  }
  const { message, codes } = errorDetailsOfText(text);
  const kind = classifyHttpError(status, message, codes);
  // Redirects are not followed (a POST body is not re-sent to wherever a server points): say where to.
  const location = status >= 300 && status < 400 ? headerValue(headers, 'location') : null;
  if (location) return new ProviderError(kind, `${where}: HTTP ${status}: redirected to ${location}; set the target's baseUrl to the final URL`, status);
  return new ProviderError(kind, `${where}: HTTP ${status}: ${message}`, status, retryAfterMs({ get: (name) => headerValue(headers, name) }));
}

function headerValue(headers: http.IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
}
