/* The one reconnect policy of the three pages: exponential back-off from 1 s, doubling, capped at
 * 30 s, each wait drawn between half and all of it (jitter), so that after a gateway restart the
 * widgets of a whole community do not all knock again in the same second.
 *
 * Pure: `random` is injectable so the bounds are testable (tests/js/backoff.test.mjs). */

export const BASE_MS = 1000;
export const CAP_MS = 30000;

/** The ceiling of the wait before reconnect attempt `retry` (1 = the first retry); 0 for the
 * first connection, which waits for nothing. */
export function ceiling(retry, base = BASE_MS, cap = CAP_MS) {
  if (!(retry > 0)) return 0;
  return Math.min(cap, base * Math.pow(2, Math.min(retry - 1, 30)));
}

/** The wait before attempt `retry`: between half the ceiling and the ceiling. */
export function delay(retry, random = Math.random, base = BASE_MS, cap = CAP_MS) {
  const top = ceiling(retry, base, cap);
  return Math.round(top / 2 + random() * (top / 2));
}
