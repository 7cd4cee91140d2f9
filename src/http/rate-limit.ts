import type { RequestHandler } from 'express'
import { tooManyRequests } from '../scim/errors.ts'
import type { RateLimiter } from '../tenancy/rate-limit.ts'

/** A connection's configured request budget; over it → 429 with `Retry-After`. */
export function connectionRateLimit(limiter: RateLimiter): RequestHandler {
  return (_req, res, next) => {
    const connection = res.locals.connection
    const limit = connection?.config.rateLimit
    if (!connection || !limit) {
      next()
      return
    }
    const decision = limiter(connection.key, limit)
    if (decision.ok) next()
    else
      next(
        tooManyRequests(
          `Rate limit of connection ${connection.name} exceeded`,
          decision.retryAfterSeconds,
        ),
      )
  }
}
