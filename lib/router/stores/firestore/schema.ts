/**
 * The two collections in a Firestore database in Native mode (Firestore has no schema: these are
 * what the stores write, and the constants a construct or an operator needs).
 *
 * Ledger document, one per tenant and month: `ai-stack-ledger/{tenant}_{YYYY-MM}`.
 *   tenant, month (stringValue)   for people reading the collection
 *   spent, reserved (integerValue) integer nano-dollars (int64)
 *   open (mapValue)                {<reservation id>: {a: integerValue amount, e: timestampValue expiry}}
 *   expired (mapValue)             the same for reservations released by the expiry rule, kept so
 *                                  that a late settle still charges them once
 * A document holds 1 MiB; an open reservation takes about 60 bytes, so about 15,000 can be open.
 *
 * Rate document, one per tenant: `ai-stack-rate/{tenant}`.
 *   slots (arrayValue)             the 7 ring slots {b: bucket, n: requests, t: tokens} of
 *                                  distributed/rate-window.ts (integerValue each)
 *   n, t (integerValue)            the sums over the slots
 *
 * Every change replaces the whole document with one `commit` whose write carries a
 * `currentDocument` precondition: `updateTime` = the update time that was read, or `exists: false`
 * when the document did not exist. A writer that lost the race gets FAILED_PRECONDITION (or
 * ALREADY_EXISTS), reads again and re-applies, so no update is lost. No transaction, no index, no
 * query: the collections need no composite index, and single-field indexing may be exempted.
 */
export const FIRESTORE_LEDGER_COLLECTION = 'ai-stack-ledger';
export const FIRESTORE_RATE_COLLECTION = 'ai-stack-rate';

export const FIRESTORE_LEDGER_DOCUMENT = { path: `${FIRESTORE_LEDGER_COLLECTION}/{tenant}_{YYYY-MM}`, fields: ['tenant', 'month', 'spent', 'reserved', 'open', 'expired'] } as const;
export const FIRESTORE_RATE_DOCUMENT = { path: `${FIRESTORE_RATE_COLLECTION}/{tenant}`, fields: ['slots', 'n', 't'] } as const;

/** `projects/<project>/databases/<database>`, e.g. `projects/acme/databases/(default)`. */
const DATABASE = /^projects\/[^/]+\/databases\/[^/]+$/;

export function checkDatabase(database: string): void {
  if (!DATABASE.test(database)) throw new Error(`firestore: database must be 'projects/<project>/databases/<database>' (got '${database}')`);
}

/** Firestore's document id rules, plus none of the control characters an id should never hold. */
const FORBIDDEN = /[/\u0000-\u001f\u007f-\u009f]/;

export function checkId(what: string, value: string): void {
  if (value.length === 0 || Buffer.byteLength(value) > 700 || FORBIDDEN.test(value) || value === '.' || value === '..' || /^__.*__$/.test(value)) {
    throw new Error(`firestore: ${what} '${value}' cannot be part of a document id (1-700 bytes, no '/' or control characters, not '.', '..' or __name__)`);
  }
}

/**
 * `{tenant}_{month}`. The month may not contain '_', so the id splits at its last '_' and two
 * tenant-months never share a document.
 */
export function ledgerDocumentId(tenant: string, month: string): string {
  checkId('tenant', tenant);
  checkId('month', month);
  if (month.includes('_')) throw new Error(`firestore: month '${month}' may not contain '_'`);
  return `${tenant}_${month}`;
}

export function rateDocumentId(tenant: string): string {
  checkId('tenant', tenant);
  return tenant;
}
