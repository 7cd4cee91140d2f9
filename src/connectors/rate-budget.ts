export interface BudgetOptions {
  /** The product's documented limit. */
  requestsPerMinute: number
  /** Requests in flight at once. */
  concurrency: number
}

/**
 * A connection's budget toward its product: a token bucket refilled at the documented rate,
 * and a concurrency limit. `acquire` waits for both (bounded by `maxWaitMs`) and returns a
 * release function, or undefined when the wait would be too long.
 */
export function createRateBudget(
  options: BudgetOptions,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
) {
  const perMs = options.requestsPerMinute / 60_000
  const burst = Math.max(
    1,
    Math.min(options.requestsPerMinute, Math.ceil(options.requestsPerMinute / 6)),
  )
  let tokens = burst
  let at = now()
  let inFlight = 0

  function refill() {
    const t = now()
    tokens = Math.min(burst, tokens + (t - at) * perMs)
    at = t
  }

  return {
    async acquire(maxWaitMs: number): Promise<(() => void) | undefined> {
      const deadline = now() + maxWaitMs
      for (;;) {
        refill()
        if (tokens >= 1 && inFlight < options.concurrency) {
          tokens -= 1
          inFlight += 1
          let released = false
          return () => {
            if (!released) inFlight -= 1
            released = true
          }
        }
        const wait = tokens >= 1 ? 10 : Math.ceil((1 - tokens) / perMs)
        if (now() + wait > deadline) return undefined
        await sleep(Math.min(wait, 250))
      }
    },

    /** A product's 429 empties the bucket so the whole connection backs off together. */
    drain(): void {
      refill()
      tokens = Math.min(tokens, 0)
    },
  }
}

export type RateBudget = ReturnType<typeof createRateBudget>
