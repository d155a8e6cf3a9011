/** Longest string written to one property: below the 32 Ki UTF-16 units an Edm.String may hold. */
export const CHUNK_CHARS = 30_000;

/** Splits `json` over `prefix0`, `prefix1`, … so a record can outgrow one property's limit. */
export function writeChunks(into: Record<string, unknown>, prefix: string, json: string): void {
  let i = 0;
  for (let at = 0; at < json.length || i === 0; at += CHUNK_CHARS) into[`${prefix}${i++}`] = json.slice(at, at + CHUNK_CHARS);
}

export function readChunks(from: Record<string, unknown>, prefix: string): string | undefined {
  if (typeof from[`${prefix}0`] !== 'string') return undefined;
  let out = '';
  for (let i = 0; typeof from[`${prefix}${i}`] === 'string'; i++) out += from[`${prefix}${i}`] as string;
  return out;
}
