/**
 * "On a 401, refresh the token once and try again", for clients that send a bearer token.
 *
 * Why once per call: a 401 to a token that was cached may only mean it expired or was revoked
 * early, so one new token and the same request again is right (Google's error guide, "401
 * Invalid Credentials: ... refresh the access token"; Graph's errors.md, "401 Unauthorized");
 * a 401 to a token issued a moment ago is a credential problem for a person, and asking again
 * and again would only hammer the token endpoint.
 *
 * The allowance belongs to one call, not to one attempt: when the call is retried with backoff
 * (net/backoff.ts) after its refresh, a later 401 is final too. The resend after the refresh is
 * not a backoff attempt: it comes at once, and the caller counts it as a request of its own.
 */

export interface RefreshOnceOptions {
  /** True for the failure that means "the token was refused" (HTTP 401). */
  refused: (error: unknown) => boolean;
  /**
   * Makes the next send take a new token (forgets the cached one); also where callers count and
   * log the refresh. Synchronous: the request is sent again at once.
   */
  refresh: (error: unknown) => void;
}

/**
 * A wrapper for every send of one call: runs `send`; when it fails with a refused token for the
 * first time in this call, refreshes and runs `send` once more. Any other failure, and a refusal
 * after the refresh, is rethrown unchanged.
 */
export function refreshTokenOnce(options: RefreshOnceOptions): <T>(send: () => Promise<T>) => Promise<T> {
  let refreshed = false;
  return async <T>(send: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await send();
      } catch (error) {
        if (refreshed || !options.refused(error)) throw error;
        refreshed = true;
        options.refresh(error);
      }
    }
  };
}
