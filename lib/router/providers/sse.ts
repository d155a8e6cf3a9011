/**
 * Incremental decoder of a server-sent events stream (the WHATWG event-stream format): feed it text as
 * it arrives, get back the `data` of each event it completed. Only `data` matters to the providers
 * (OpenAI-compatible APIs, Vertex `alt=sse`); other fields and comments are skipped.
 *
 * It runs on every chunk of every stream, so lines are found with `indexOf` (a text without a CR,
 * the usual case, never has its characters visited one by one in JavaScript) and a field is
 * compared in place, without slicing the line first.
 */
export class SseDecoder {
  private buffer = '';
  /** The data lines of the event being read, joined with `\n`; undefined before its first. */
  private data: string | undefined = undefined;

  /** Feeds a piece of the stream; returns the data of the events it completed, in order. */
  push(text: string): string[] {
    const buf = this.buffer === '' ? text : this.buffer + text;
    const events: string[] = [];
    const n = buf.length;
    let start = 0;
    if (buf.indexOf('\r') < 0) {
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n', start)) {
        this.line(buf, start, i, events);
        start = i + 1;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const c = buf.charCodeAt(i);
        if (c !== LF && c !== CR) continue;
        // A trailing CR may be the first half of a CRLF split across two pieces: wait for the next piece.
        if (c === CR && i === n - 1) break;
        this.line(buf, start, i, events);
        if (c === CR && buf.charCodeAt(i + 1) === LF) i++;
        start = i + 1;
      }
    }
    this.buffer = start === 0 ? buf : buf.slice(start);
    return events;
  }

  /** Ends the stream; returns the data of a last event the stream did not close with a blank line. */
  end(): string[] {
    const events: string[] = [];
    const buf = this.buffer;
    if (buf !== '') this.line(buf, 0, buf.charCodeAt(buf.length - 1) === CR ? buf.length - 1 : buf.length, events);
    this.buffer = '';
    this.dispatch(events);
    return events;
  }

  /** The line `buf[start, end)`. */
  private line(buf: string, start: number, end: number, events: string[]): void {
    if (start === end) return this.dispatch(events);
    // A comment starts with ':'; a field other than `data` (event, id, retry, anything) is skipped.
    if (!buf.startsWith('data', start)) return;
    let value: string;
    const after = start + 4;
    if (after === end) value = '';
    else if (buf.charCodeAt(after) !== COLON) return; // `dataX...`: another field
    else {
      const from = after + 1 < end && buf.charCodeAt(after + 1) === SPACE ? after + 2 : after + 1;
      value = buf.slice(from, end);
    }
    this.data = this.data === undefined ? value : `${this.data}\n${value}`;
  }

  private dispatch(events: string[]): void {
    if (this.data === undefined) return;
    events.push(this.data);
    this.data = undefined;
  }
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
