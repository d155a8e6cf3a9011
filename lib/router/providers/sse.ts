/**
 * Incremental decoder of a server-sent events stream (the WHATWG event-stream format): feed it text as
 * it arrives, get back the `data` of each event it completed. Only `data` matters to the providers
 * (OpenAI-compatible APIs, Vertex `alt=sse`); other fields and comments are skipped.
 */
export class SseDecoder {
  private buffer = '';
  private data: string[] = [];

  /** Feeds a piece of the stream; returns the data of the events it completed, in order. */
  push(text: string): string[] {
    this.buffer += text;
    const events: string[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      // A trailing CR may be the first half of a CRLF split across two pieces: wait for the next piece.
      if (c === '\r' && i === this.buffer.length - 1) break;
      this.line(this.buffer.slice(start, i), events);
      if (c === '\r' && this.buffer[i + 1] === '\n') i++;
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** Ends the stream; returns the data of a last event the stream did not close with a blank line. */
  end(): string[] {
    const events: string[] = [];
    if (this.buffer !== '') this.line(this.buffer.replace(/\r$/, ''), events);
    this.buffer = '';
    this.dispatch(events);
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line === '') return this.dispatch(events);
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    if ((colon < 0 ? line : line.slice(0, colon)) !== 'data') return;
    const value = colon < 0 ? '' : line.slice(colon + 1);
    this.data.push(value.startsWith(' ') ? value.slice(1) : value);
  }

  private dispatch(events: string[]): void {
    if (this.data.length === 0) return;
    events.push(this.data.join('\n'));
    this.data = [];
  }
}
