import { MemoryLedger } from '../../../lib/router/stores/memory-ledger';
import { MemoryRateLimiter } from '../../../lib/router/stores/memory-rate-limiter';
import { ledgerConformance } from './conformance/ledger-suite';
import { rateLimiterConformance } from './conformance/rate-limiter-suite';

// One process: "two instances" are the same object, which is all a memory store can share.
ledgerConformance('MemoryLedger', { retriedCloseResolves: false, expires: false }, () => {
  const ledger = new MemoryLedger();
  return { instance: () => ledger };
});

rateLimiterConformance('MemoryRateLimiter', () => {
  const limiter = new MemoryRateLimiter();
  return { instance: () => limiter };
});
