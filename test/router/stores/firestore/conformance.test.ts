import { FirestoreLedger } from '../../../../lib/router/stores/firestore/ledger';
import { FirestoreRateLimiter } from '../../../../lib/router/stores/firestore/rate-limiter';
import { FirestoreSpendStop } from '../../../../lib/router/stores/firestore/spend-stop';
import { ledgerConformance } from '../conformance/ledger-suite';
import { rateLimiterConformance } from '../conformance/rate-limiter-suite';
import { spendStopConformance } from '../conformance/spend-stop-suite';
import { startFirestoreFake, type FirestoreFake } from '../support/firestore-fake';

let fs: FirestoreFake;
const database = 'projects/conformance/databases/(default)';
const getAccessToken = async () => 'conformance-token';

beforeAll(async () => {
  fs = await startFirestoreFake();
});
afterAll(() => fs.stop());

// Each instance has its own REST client and its own group-commit queue: only the database is shared.
ledgerConformance('FirestoreLedger', { retriedCloseResolves: true, expires: true }, () => ({
  instance: (o = {}) => new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken, ...o }),
}));

rateLimiterConformance('FirestoreRateLimiter', () => ({
  instance: () => new FirestoreRateLimiter({ baseUrl: fs.baseUrl, database, getAccessToken }),
}));

let stopCollections = 0;
// A collection per test: the record is one per stack.
spendStopConformance('FirestoreSpendStop', () => {
  const collection = `stop-${++stopCollections}`;
  return {
    instance: () => new FirestoreSpendStop({ baseUrl: fs.baseUrl, database, getAccessToken, collection }),
    ledger: () => new FirestoreLedger({ baseUrl: fs.baseUrl, database, getAccessToken, collection }),
  };
});
