/**
 * Wraps an async generator so that `return()` cleans up even when the generator never started: a
 * generator's `finally` only runs once its body has begun, and a client can leave before the first
 * chunk is pulled. Streams hold a budget reservation and an upstream connection, so "never started"
 * must release them too.
 */
export function closeable<T>(body: AsyncGenerator<T>, beforeStart: () => Promise<void>): AsyncIterableIterator<T> {
  let started = false;
  let closed = false;
  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (closed) return Promise.resolve({ done: true, value: undefined });
      started = true;
      return body.next();
    },
    async return(value?: unknown) {
      if (!started && !closed) {
        closed = true;
        await beforeStart();
      }
      closed = true;
      return body.return(value as never) as Promise<IteratorResult<T>>;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
