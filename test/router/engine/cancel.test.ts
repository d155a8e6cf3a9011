import { Cancellation, linkedAbortController } from '../../../lib/router/engine/cancel';

describe('Cancellation', () => {
  test('runs each listener once, in order, with the reason set, on the first abort only', () => {
    const c = new Cancellation();
    const seen: string[] = [];
    c.addEventListener('abort', () => seen.push(`a:${String(c.reason)}`));
    c.addEventListener('abort', () => seen.push(`b:${String(c.signal.aborted)}`));
    c.abort('first');
    c.abort('second');
    expect(seen).toEqual(['a:first', 'b:true']);
    expect(c.reason).toBe('first');
  });

  test('a listener added twice runs once; a removed one does not run; one added after the abort never runs', () => {
    const c = new Cancellation();
    const calls = { twice: 0, removed: 0, late: 0 };
    const twice = () => calls.twice++;
    const removed = () => calls.removed++;
    c.addEventListener('abort', twice);
    c.addEventListener('abort', twice);
    c.addEventListener('abort', removed);
    c.removeEventListener('abort', removed);
    c.abort(new Error('stop'));
    c.addEventListener('abort', () => calls.late++);
    expect(calls).toEqual({ twice: 1, removed: 0, late: 0 });
  });

  test('a throwing listener does not stop the others; abort() throws its error after all ran', () => {
    const c = new Cancellation();
    let second = false;
    c.addEventListener('abort', () => {
      throw new Error('listener bug');
    });
    c.addEventListener('abort', () => {
      second = true;
    });
    expect(() => c.abort('x')).toThrow('listener bug');
    expect(second).toBe(true);
    expect(c.aborted).toBe(true);
  });

  test('a real AbortSignal fits the same interface as a Cancellation', () => {
    const signals = [new AbortController().signal, new Cancellation().signal];
    for (const s of signals) expect(s.aborted).toBe(false);
  });
});

describe('linkedAbortController', () => {
  test('aborts the DOM controller with the same reason, and stops following once detached', () => {
    const c = new Cancellation();
    const link = linkedAbortController(c);
    const reason = new Error('timeout');
    c.abort(reason);
    expect(link.controller.signal.aborted).toBe(true);
    expect(link.controller.signal.reason).toBe(reason);

    const d = new Cancellation();
    const detached = linkedAbortController(d);
    detached.detach();
    d.abort(new Error('late'));
    expect(detached.controller.signal.aborted).toBe(false);
  });

  test('a signal aborted already gives an aborted controller', () => {
    const c = new Cancellation();
    c.abort('gone');
    expect(linkedAbortController(c).controller.signal.reason).toBe('gone');
  });
});
