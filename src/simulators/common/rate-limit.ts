import type { RequestHandler } from 'express'
import type { SimulatorClock } from './clock.ts'
import { SimulatorHttpError } from './errors.ts'
import { readCredentialKey } from './auth.ts'

export interface RateLimitSetting {
  limit: number
  windowSeconds: number
}

/** A budget of `limit` requests per `windowSeconds` per credential, for the paths it matches. */
export interface RateLimitRule extends RateLimitSetting {
  name: string
  matches(path: string): boolean
}

export interface RateLimiter {
  middleware: RequestHandler
  reset(): void
}

interface Window {
  startedMs: number
  count: number
}

/**
 * Fixed windows on the simulator clock, keyed by rule and credential; the first matching rule
 * counts. Over budget → 429 with `Retry-After` = seconds until the window ends.
 */
export function createRateLimiter(
  rules: readonly RateLimitRule[],
  clock: SimulatorClock,
): RateLimiter {
  let windows = new Map<string, Window>()
  const middleware: RequestHandler = (req, res, next) => {
    const rule = rules.find((candidate) => candidate.matches(req.path))
    if (!rule) return next()
    const key = `${rule.name}\u0000${readCredentialKey(res)}`
    const nowMs = clock.now().getTime()
    const windowMs = rule.windowSeconds * 1000
    let window = windows.get(key)
    if (!window || nowMs - window.startedMs >= windowMs || nowMs < window.startedMs) {
      window = { startedMs: nowMs, count: 0 }
      windows.set(key, window)
    }
    window.count += 1
    if (window.count <= rule.limit) return next()
    const retryAfter = Math.max(1, Math.ceil((window.startedMs + windowMs - nowMs) / 1000))
    next(
      new SimulatorHttpError(
        429,
        'rate_limit_exceeded',
        `Rate limit of ${rule.limit} requests per ${rule.windowSeconds} s exceeded`,
        { 'retry-after': String(retryAfter) },
      ),
    )
  }
  return {
    middleware,
    reset: () => {
      windows = new Map()
    },
  }
}

/** A product's rate-limit option merged over its defaults; `false` lifts the limit. */
export function resolveRateLimit(
  option: false | Partial<RateLimitSetting> | undefined,
  defaults: RateLimitSetting,
): RateLimitSetting | false {
  if (option === false) return false
  return { ...defaults, ...option }
}
