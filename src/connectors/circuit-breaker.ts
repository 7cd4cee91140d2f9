export interface BreakerOptions {
  /** Consecutive failures that quarantine the connection. */
  failureThreshold: number
  /** How long a quarantine lasts before one probe request is let through. */
  cooldownMs: number
}

export type BreakerState = 'closed' | 'open' | 'half-open'

/**
 * A circuit breaker for one connection. Only failures that say the product is unwell
 * (unreachable, timeouts, 5xx) count; a product refusing bad input is healthy.
 */
export function createCircuitBreaker(options: BreakerOptions, now: () => number) {
  let failures = 0
  let openedAt: number | undefined
  let probing = false

  return {
    state(): BreakerState {
      if (openedAt === undefined) return 'closed'
      return now() - openedAt >= options.cooldownMs ? 'half-open' : 'open'
    },

    /** Whether a request may go out now; when not, how long until it may (seconds). */
    admit(): { ok: true } | { ok: false; retryAfterSeconds: number } {
      if (openedAt === undefined) return { ok: true }
      const waited = now() - openedAt
      if (waited < options.cooldownMs) {
        return {
          ok: false,
          retryAfterSeconds: Math.max(1, Math.ceil((options.cooldownMs - waited) / 1000)),
        }
      }
      // Half-open: exactly one probe at a time.
      if (probing) return { ok: false, retryAfterSeconds: 1 }
      probing = true
      return { ok: true }
    },

    succeeded(): void {
      failures = 0
      openedAt = undefined
      probing = false
    },

    failed(): void {
      failures += 1
      if (probing || failures >= options.failureThreshold) openedAt = now()
      probing = false
    },

    /** An admitted request never reached the product (e.g. over budget): no verdict. */
    released(): void {
      probing = false
    },
  }
}

export type CircuitBreaker = ReturnType<typeof createCircuitBreaker>
