import { DesignError } from '../../lib/design';

/** The DesignError `fn` throws; fails the test when it throws something else or nothing. */
export function designErrorOf(fn: () => unknown): DesignError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DesignError) return e;
    throw e;
  }
  throw new Error('expected a DesignError');
}
