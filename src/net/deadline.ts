/**
 * The deadline of one request attempt, reading the answer included: an AbortSignal.timeout()
 * handed to fetch or to a vendor SDK, and the one test of whether it is what ended the attempt.
 *
 * Why the test reads the signal and not the error: what a client rejects with on an abort
 * differs by transport. undici (Node's fetch) rejects with the signal's reason, a DOMException
 * named TimeoutError; node-fetch, which gaxios uses in Node, rejects every abort, headers or body,
 * with a plain AbortError "The operation was aborted"; the Graph client hands on whatever its
 * fetch threw. The signal says the same thing for all of them.
 */

/**
 * Whether `signal` was aborted by a timeout, i.e. `AbortSignal.timeout()` fired (its reason is
 * a DOMException named TimeoutError). False for anything that is not an AbortSignal, so a
 * vendor error's untyped request config can be passed as it is.
 */
export function deadlinePassed(signal: unknown): boolean {
  if (!(signal instanceof AbortSignal) || !signal.aborted) return false;
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === 'TimeoutError';
}

export class Deadline {
  /** Aborts the request `ms` after the Deadline is made. */
  readonly signal: AbortSignal;

  constructor(readonly ms: number) {
    this.signal = AbortSignal.timeout(ms);
  }

  /**
   * Whether the deadline has passed. Read it where the attempt's failure is caught: the timer
   * keeps running, so asked later it would call a connection reset that came first a timeout.
   */
  get passed(): boolean {
    return deadlinePassed(this.signal);
  }
}
