export { FirestoreLedger, type FirestoreLedgerOptions } from './ledger';
export { FirestoreRateLimiter, type FirestoreRateLimiterOptions } from './rate-limiter';
export { FirestoreSpendStop } from './spend-stop';
export { FirestoreApiError, FirestoreNetworkError, type FirestoreConnectionOptions } from './rest';
export { metadataServerToken, type MetadataTokenOptions } from './auth';
export { FIRESTORE_LEDGER_COLLECTION, FIRESTORE_LEDGER_DOCUMENT, FIRESTORE_RATE_COLLECTION, FIRESTORE_RATE_DOCUMENT, ledgerDocumentId, rateDocumentId } from './schema';
