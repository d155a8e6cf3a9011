import { DEFAULT_SECRET_REFRESH_SECONDS, ROUTER_ENV } from '../deploy-env';

/** The secret of `variable` has never been read: a request that needs it is refused, never let through. */
export class SecretUnavailableError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`the secret in ${variable} cannot be read: ${reason}`);
    this.name = 'SecretUnavailableError';
  }
}

export interface RefreshingSecretOptions {
  /** The variable holding the reference, named in every message. */
  readonly variable: string;
  /** The secret reference (`aws-sm:…`, `gcp-sm:…`, `azure-kv:…`, `file:…`). */
  readonly ref: string;
  /** Reads the reference's current value (`readSecretRef` with the readers of the bundle). */
  readonly read: (ref: string) => Promise<string>;
  /** Milliseconds between two reads. */
  readonly refreshMs: number;
  /**
   * Checks and applies a value that differs from the last good one; throwing refuses it, and the
   * last good value stays (the message says what is wrong).
   * @default - every value is accepted
   */
  readonly accept?: (value: string) => void;
  /** @default console.error */
  readonly log?: (message: string) => void;
  /** Milliseconds, monotonic. @default performance.now */
  readonly clock?: () => number;
  /** Before the first good value, the soonest a request triggers another read after a failed one. @default 1000 */
  readonly retryMs?: number;
  /**
   * Also re-read on an (unref'd) timer, not only when the value is used after `refreshMs`.
   * @default true
   */
  readonly timer?: boolean;
}

/**
 * A secret read on first use and re-read every `refreshMs` in the background, while the last good
 * value keeps being served. A failed re-read (the store failed, or `accept` refused the value)
 * keeps the last good value and is logged once per streak of failures; the first good read after
 * one is logged too. Until a first good read, `ready()` rejects with `SecretUnavailableError`, so a
 * caller fails closed.
 *
 * A read is started by the timer, or by `value`/`ready()` once the last one is `refreshMs` old: the
 * second keeps the value fresh where timers stop between requests (a frozen Lambda, a Cloud Run
 * instance without CPU outside requests); `stale` says when a value is too old to use unread.
 */
export class RefreshingSecret {
  readonly variable: string;
  private readonly o: RefreshingSecretOptions;
  private readonly clock: () => number;
  private readonly retryMs: number;
  private good: string | undefined;
  private attemptAt = -Infinity;
  private inFlight: Promise<void> | undefined;
  private failure: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: RefreshingSecretOptions) {
    if (!(options.refreshMs > 0)) throw new Error(`${options.variable}: the refresh interval must be > 0 ms (got ${options.refreshMs})`);
    this.o = options;
    this.variable = options.variable;
    this.clock = options.clock ?? (() => performance.now());
    this.retryMs = options.retryMs ?? 1000;
  }

  /** Whether a value was ever read (and accepted). */
  get loaded(): boolean {
    return this.good !== undefined;
  }

  /** The last good value (undefined until the first good read); starts a re-read when it is due. */
  get value(): string | undefined {
    this.refreshIfDue();
    return this.good;
  }

  /** Starts a background read when the last one is `refreshMs` old (and none is in flight). */
  refreshIfDue(): void {
    if (this.good !== undefined && this.inFlight === undefined && this.clock() - this.attemptAt >= this.o.refreshMs) void this.refresh();
  }

  /**
   * Whether the value is at least two refresh intervals past its last read (the timer did not run:
   * a frozen Lambda, a Cloud Run instance without CPU while idle). A caller that must not act on
   * such a value (a revoked key) awaits `refresh()` first; after a failed read it is not stale again
   * for another two intervals, so a store that is down does not hold up every request.
   */
  get stale(): boolean {
    return this.good !== undefined && this.clock() - this.attemptAt >= 2 * this.o.refreshMs;
  }

  /** Why the last read failed, while failures last; undefined after a good read. */
  get lastFailure(): string | undefined {
    return this.failure;
  }

  /** The value, reading it first if it never was; rejects with `SecretUnavailableError` if that fails. */
  async ready(): Promise<string> {
    const v = this.value;
    if (v !== undefined) return v;
    if (this.inFlight === undefined && this.clock() - this.attemptAt >= this.retryMs) void this.refresh();
    if (this.inFlight !== undefined) await this.inFlight;
    if (this.good !== undefined) return this.good;
    throw new SecretUnavailableError(this.variable, this.failure ?? 'it was not read yet');
  }

  /** Reads now (or joins the read in flight); never rejects: failures are kept and logged. */
  refresh(): Promise<void> {
    this.inFlight ??= this.readOnce().finally(() => {
      this.inFlight = undefined;
      this.schedule();
    });
    return this.inFlight;
  }

  /** Stops the timer (a refresh in flight still completes). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async readOnce(): Promise<void> {
    this.attemptAt = this.clock();
    const log = this.o.log ?? ((m: string) => console.error(m));
    try {
      const value = await this.o.read(this.o.ref);
      if (value !== this.good) this.o.accept?.(value);
      this.good = value;
      if (this.failure !== undefined) {
        log(`${this.variable}: ${this.o.ref} was read again after failures; using its current value`);
        this.failure = undefined;
      }
    } catch (err) {
      const reason = (err as Error).message ?? String(err);
      if (this.failure === undefined) {
        log(
          this.good === undefined
            ? `${this.variable}: cannot read ${this.o.ref}: ${reason}; requests that need it are refused (503 router_secret_unavailable) until it can be read`
            : `${this.variable}: re-reading ${this.o.ref} failed: ${reason}; the last good value stays in use (logged once until a read succeeds)`,
        );
      }
      this.failure = reason;
    }
  }

  private schedule(): void {
    if (this.closed || this.o.timer === false) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), this.good === undefined ? Math.max(this.retryMs, Math.min(this.o.refreshMs, 10_000)) : this.o.refreshMs);
    this.timer.unref();
  }
}

/** `AI_STACK_SECRET_REFRESH_SECONDS` in milliseconds (a number > 0; fractions allowed). */
export function secretRefreshMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env[ROUTER_ENV.secretRefreshSeconds];
  if (raw === undefined || raw.trim() === '') return DEFAULT_SECRET_REFRESH_SECONDS * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`${ROUTER_ENV.secretRefreshSeconds} must be a number of seconds > 0 (got '${raw.slice(0, 50)}')`);
  return seconds * 1000;
}
