import { MemoryLedger } from '../../../lib/router/stores/memory-ledger';
import { MemoryRateLimiter } from '../../../lib/router/stores/memory-rate-limiter';
import { MemorySpendStop } from '../../../lib/router/stores/spend-stop';
import { ledgerConformance } from './conformance/ledger-suite';
import { rateLimiterConformance } from './conformance/rate-limiter-suite';
import { spendStopConformance } from './conformance/spend-stop-suite';

// One process: "two instances" are the same object, which is all a memory store can share.
ledgerConformance('MemoryLedger', { retriedCloseResolves: false, expires: false }, () => {
  const ledger = new MemoryLedger();
  return { instance: () => ledger };
});

rateLimiterConformance('MemoryRateLimiter', () => {
  const limiter = new MemoryRateLimiter();
  return { instance: () => limiter };
});

spendStopConformance('MemorySpendStop', () => {
  const stop = new MemorySpendStop();
  return { instance: () => stop };
});
