/**
 * What the page does when `session:enter` fails: the person is refused (the answer is about them:
 * a revoked link, a locked room), or it tries again after a pause because the answer is about the
 * moment (no answer, a server busy or restarting, a socket budget spent in a reconnect storm).
 */
export function afterEnterFailure(code: string | null): 'refused' | { retryInMs: number } {
  switch (code) {
    case null: // not an answer from the server at all
    case 'NETWORK':
    case 'INTERNAL':
    case 'BAD_RESPONSE':
      return { retryInMs: 2_000 };
    // The database is restarting: the server says to retry shortly.
    case 'UNAVAILABLE':
      return { retryInMs: 3_000 };
    // The connection's event budget refills within seconds; ending the session would be wrong.
    case 'RATE_LIMITED':
      return { retryInMs: 5_000 };
    default:
      return 'refused';
  }
}
