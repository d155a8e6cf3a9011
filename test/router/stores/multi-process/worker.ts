/**
 * One "router instance" for the multi-process tests: a child process with its own store client
 * that runs reserve → (simulated model call) → settle flows against the shared emulator, or, in
 * 'hold' mode, reserves and never settles (it is SIGKILLed mid-flight by the test).
 */
import { performance } from 'node:perf_hooks';
import type { Ledger } from '../../../../lib/router/stores/ledger';
import { ledgerFor, type StoreConfig } from './stores';

export interface WorkerConfig {
  readonly store: StoreConfig;
  readonly mode: 'flows' | 'hold';
  readonly flows: number;
  readonly tenant: string;
  readonly month: string;
  readonly amountNanoUsd: number;
  readonly limitNanoUsd: number;
  readonly maxRequestMs: number;
  readonly marginMs: number;
}

export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'holding'; readonly granted: number }
  | { readonly type: 'done'; readonly granted: number; readonly refused: number; readonly settledNanoUsd: number; readonly errors: string[]; readonly reserveMs: number[]; readonly settleMs: number[] };

const config = JSON.parse(process.argv[2]) as WorkerConfig;
const ledger: Ledger = ledgerFor(config.store, { maxRequestMs: config.maxRequestMs, marginMs: config.marginMs });
const send = (m: WorkerMessage) => process.send!(m);
const request = { tenant: config.tenant, month: config.month, amountNanoUsd: config.amountNanoUsd, limitNanoUsd: config.limitNanoUsd };

async function flows(): Promise<void> {
  let granted = 0;
  let refused = 0;
  let settledNanoUsd = 0;
  const errors: string[] = [];
  const reserveMs: number[] = [];
  const settleMs: number[] = [];
  await Promise.all(
    Array.from({ length: config.flows }, async () => {
      try {
        const t0 = performance.now();
        const r = await ledger.reserve(request);
        reserveMs.push(performance.now() - t0);
        if (!r.ok) {
          refused++;
          return;
        }
        granted++;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 30)); // the model call
        // The served response costs up to 10 % less than the reserved maximum.
        const cost = config.amountNanoUsd - Math.floor((Math.random() * config.amountNanoUsd) / 10);
        const t1 = performance.now();
        await ledger.settle(r.reservation, cost);
        settleMs.push(performance.now() - t1);
        settledNanoUsd += cost;
      } catch (err) {
        errors.push((err as Error).message);
      }
    }),
  );
  send({ type: 'done', granted, refused, settledNanoUsd, errors, reserveMs, settleMs });
}

async function hold(): Promise<void> {
  const results = await Promise.all(Array.from({ length: config.flows }, () => ledger.reserve(request)));
  send({ type: 'holding', granted: results.filter((r) => r.ok).length });
  setInterval(() => undefined, 60_000); // in flight until killed
}

process.once('message', () => void (config.mode === 'hold' ? hold() : flows()));
send({ type: 'ready' });
