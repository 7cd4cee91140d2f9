export interface RateLimit {
  requestsPerSecond: number
  burst: number
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number }

/**
 * Token buckets by connection key. Kept outside the configuration so a reload does not hand
 * every connection a fresh burst.
 */
export function createRateLimiter(now: () => number) {
  const buckets = new Map<string, { tokens: number; at: number }>()
  return (key: string, limit: RateLimit): RateDecision => {
    const at = now()
    const bucket = buckets.get(key) ?? { tokens: limit.burst, at }
    const refilled = Math.min(
      limit.burst,
      bucket.tokens + ((at - bucket.at) / 1000) * limit.requestsPerSecond,
    )
    if (refilled >= 1) {
      buckets.set(key, { tokens: refilled - 1, at })
      return { ok: true }
    }
    buckets.set(key, { tokens: refilled, at })
    const wait = (1 - refilled) / limit.requestsPerSecond
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(wait)) }
  }
}

export type RateLimiter = ReturnType<typeof createRateLimiter>
