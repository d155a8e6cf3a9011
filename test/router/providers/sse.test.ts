import { SseDecoder } from '../../../lib/router/providers/sse';

function decodeAll(pieces: readonly string[]): string[] {
  const d = new SseDecoder();
  return [...pieces.flatMap((p) => d.push(p)), ...d.end()];
}

describe('SseDecoder', () => {
  const stream = 'data: {"a":1}\n\n: keep-alive comment\n\nevent: message\ndata: line one\ndata: line two\nid: 7\n\ndata:no-space\r\n\r\ndata: [DONE]\n\n';
  const expected = ['{"a":1}', 'line one\nline two', 'no-space', '[DONE]'];

  test('decodes data of each event, joins multi-line data, skips comments and other fields', () => {
    expect(decodeAll([stream])).toEqual(expected);
  });

  test('gives the same events whatever the chunking, including a CRLF split between pieces', () => {
    expect(decodeAll(stream.split(''))).toEqual(expected);
    expect(decodeAll(['data: x\r', '\n\r', '\ndata: y\r\n\r\n'])).toEqual(['x', 'y']);
  });

  test('handles lone CR line endings', () => {
    expect(decodeAll(['data: a\r\rdata: b\r\r'])).toEqual(['a', 'b']);
  });

  test('dispatches a last event that the stream did not close with a blank line', () => {
    expect(decodeAll(['data: {"done":true}'])).toEqual(['{"done":true}']);
    expect(decodeAll(['data: last\r'])).toEqual(['last']);
  });

  test('returns events as soon as they complete', () => {
    const d = new SseDecoder();
    expect(d.push('data: one\n')).toEqual([]);
    expect(d.push('\ndata: tw')).toEqual(['one']);
    expect(d.push('o\n\n')).toEqual(['two']);
    expect(d.end()).toEqual([]);
  });
});
