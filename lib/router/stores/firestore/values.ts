/**
 * Firestore's REST value encoding (google.firestore.v1.Value in proto3 JSON), the few kinds the
 * stores write: `integerValue` (int64 as a decimal string, so nano-dollar amounts stay exact),
 * `stringValue`, `timestampValue` (RFC 3339), `mapValue` and `arrayValue`.
 */
export interface Value {
  readonly nullValue?: null;
  readonly booleanValue?: boolean;
  /** proto3 JSON int64: a decimal string (Firestore answers strings; numbers are accepted on input). */
  readonly integerValue?: string | number;
  readonly doubleValue?: number | string;
  readonly timestampValue?: string;
  readonly stringValue?: string;
  /** Firestore omits `fields` for an empty map, and `values` for an empty array. */
  readonly mapValue?: { readonly fields?: Fields };
  readonly arrayValue?: { readonly values?: readonly Value[] };
}

export type Fields = Readonly<Record<string, Value>>;

export interface Document {
  readonly name: string;
  /** Omitted when the document has no fields. */
  readonly fields?: Fields;
  readonly createTime?: string;
  readonly updateTime?: string;
}

export const int = (n: number): Value => {
  if (!Number.isSafeInteger(n)) throw new Error(`firestore: ${n} is not a safe integer`);
  return { integerValue: String(n) };
};
export const str = (s: string): Value => ({ stringValue: s });
export const timestamp = (epochMs: number): Value => ({ timestampValue: new Date(epochMs).toISOString() });
export const map = (fields: Record<string, Value>): Value => ({ mapValue: { fields } });
export const array = (values: Value[]): Value => ({ arrayValue: { values } });

/**
 * A whole number from an `integerValue`, or from an integral `doubleValue` (what a person editing
 * the document in the console may leave behind); a missing field is `missing`.
 */
export function readInt(v: Value | undefined, what: string, missing = 0): number {
  if (v === undefined) return missing;
  if (v.integerValue !== undefined) {
    const s = String(v.integerValue);
    const n = Number(s);
    if (/^-?\d+$/.test(s) && Number.isSafeInteger(n)) return n;
  } else if (v.doubleValue !== undefined) {
    const n = Number(v.doubleValue);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new Error(`firestore: ${what} is not a whole number within ±2^53 (${JSON.stringify(v)})`);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Epoch milliseconds of an RFC 3339 timestamp, any number of fractional digits (sub-ms truncated). */
export function parseTimestampMs(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac = '', , sign, oh, om] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec) + Number(frac.padEnd(3, '0').slice(0, 3));
  const offset = sign ? (sign === '-' ? -1 : 1) * (+oh * 60 + +om) * 60_000 : 0;
  return ms - offset;
}

export function readTimestampMs(v: Value | undefined, what: string): number {
  const ms = v?.timestampValue === undefined ? undefined : parseTimestampMs(v.timestampValue);
  if (ms === undefined || Number.isNaN(ms)) throw new Error(`firestore: ${what} is not a timestamp (${JSON.stringify(v)})`);
  return ms;
}

export function readMap(v: Value | undefined, what: string): Fields {
  if (v === undefined) return {};
  if (!v.mapValue) throw new Error(`firestore: ${what} is not a map (${JSON.stringify(v)})`);
  return v.mapValue.fields ?? {};
}

export function readArray(v: Value | undefined, what: string): readonly Value[] | undefined {
  if (v === undefined) return undefined;
  if (!v.arrayValue) throw new Error(`firestore: ${what} is not an array (${JSON.stringify(v)})`);
  return v.arrayValue.values ?? [];
}
