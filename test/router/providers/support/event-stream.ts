import { crc32 } from 'node:zlib';

/**
 * Encodes one message of the AWS event-stream binary format (`application/vnd.amazon.eventstream`),
 * which Bedrock ConverseStream answers in: prelude (total length, headers length, CRC32), string
 * headers (type 7), payload, message CRC32.
 */
export function eventStreamMessage(headers: Record<string, string>, payload: string): Buffer {
  const headerBytes = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const n = Buffer.from(name, 'utf8');
      const v = Buffer.from(value, 'utf8');
      const b = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
      b.writeUInt8(n.length, 0);
      n.copy(b, 1);
      b.writeUInt8(7, 1 + n.length);
      b.writeUInt16BE(v.length, 2 + n.length);
      v.copy(b, 4 + n.length);
      return b;
    }),
  );
  const body = Buffer.from(payload, 'utf8');
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(12 + headerBytes.length + body.length + 4, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const message = Buffer.concat([prelude, headerBytes, body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(message), 0);
  return Buffer.concat([message, crc]);
}

/** A ConverseStream event, e.g. `bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } })`. */
export function bedrockEvent(type: string, payload: unknown): Buffer {
  return eventStreamMessage({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify(payload));
}

/** A ConverseStream exception event, e.g. `bedrockException('throttlingException', 'Too many tokens')`. */
export function bedrockException(type: string, message: string): Buffer {
  return eventStreamMessage({ ':exception-type': type, ':content-type': 'application/json', ':message-type': 'exception' }, JSON.stringify({ message }));
}
