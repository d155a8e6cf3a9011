import { FirestoreLedger } from '../../../../lib/router/stores/firestore/ledger';
import { FirestoreRateLimiter } from '../../../../lib/router/stores/firestore/rate-limiter';
import { ledgerConformance } from '../conformance/ledger-suite';
import { rateLimiterConformance } from '../conformance/rate-limiter-suite';
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
