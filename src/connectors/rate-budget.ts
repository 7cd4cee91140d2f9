export interface BudgetOptions {
  /** The product's documented limit. */
  requestsPerMinute: number
  /** Requests in flight at once. */
  concurrency: number
}

const WINDOW_MS = 60_000

/**
 * A connection's budget toward its product: at most `requestsPerMinute` requests in any
 * 60-second window (a sliding log of send times, so no window ever holds more), and at most
 * `concurrency` in flight. `acquire` waits for both, up to `maxWaitMs`, and returns a release
 * function, or undefined when the wait would be longer.
 */
export function createRateBudget(
  options: BudgetOptions,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
) {
  const limit = Math.max(1, Math.floor(options.requestsPerMinute))
  const sent: number[] = []
  let inFlight = 0
  /** A product's 429 holds every request back until this time. */
  let pausedUntil = 0

  function prune(t: number) {
    while (sent.length > 0 && (sent[0] as number) <= t - WINDOW_MS) sent.shift()
  }

  return {
    async acquire(maxWaitMs: number): Promise<(() => void) | undefined> {
      const deadline = now() + maxWaitMs
      for (;;) {
        const t = now()
        prune(t)
        if (t >= pausedUntil && sent.length < limit && inFlight < options.concurrency) {
          sent.push(t)
          inFlight += 1
          let released = false
          return () => {
            if (!released) inFlight -= 1
            released = true
          }
        }
        const wait =
          t < pausedUntil
            ? pausedUntil - t
            : sent.length >= limit
              ? (sent[0] as number) + WINDOW_MS - t
              : 10
        if (t + wait > deadline) return undefined
        await sleep(Math.min(Math.max(wait, 1), 250))
      }
    },

    /** After a product's 429: nothing more is sent until its Retry-After has passed. */
    pause(ms: number): void {
      pausedUntil = Math.max(pausedUntil, now() + ms)
    },
  }
}

export type RateBudget = ReturnType<typeof createRateBudget>
