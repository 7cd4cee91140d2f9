import http from 'node:http'
import https from 'node:https'
import type { ConnectionConfig } from '../config/tenant-config.ts'
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.ts'
import { readNativeField, type ConnectorProfile } from './profile.ts'
import { createRateBudget, type RateBudget } from './rate-budget.ts'
import { createUpstreamClient, type UpstreamClient } from './upstream-client.ts'

/** What the dashboard and the outbox need to know about a connection's product. */
export interface ConnectionHealth {
  breaker: CircuitBreaker
  /** Why the connection is misconfigured (the product refused our credential), if it is. */
  misconfigured?: { at: string; reason: string }
}

export interface UpstreamRegistryOptions {
  now: () => number
  sleep: (ms: number) => Promise<void>
  /** Longest wait for Retry-After or the rate budget inside one IdP request. */
  maxRetryWaitMs: number
}

/**
 * Per-connection state toward the products — breaker, rate budget, health — keyed by
 * connection, so it survives configuration reloads; clients are rebuilt per generation.
 */
export function createUpstreamRegistry(options: UpstreamRegistryOptions) {
  const breakers = new Map<string, CircuitBreaker>()
  const budgets = new Map<string, { budget: RateBudget; signature: string }>()
  const misconfigured = new Map<string, { at: string; reason: string }>()
  const agents = new Map<string, http.Agent>()

  /** One keep-alive agent per connection and origin: products are called over warm sockets. */
  function agentFor(key: string, baseUrl: string, profile: ConnectorProfile): http.Agent {
    const origin = new URL(baseUrl).origin
    const name = `${key} ${origin}`
    let agent = agents.get(name)
    if (!agent) {
      const settings = { keepAlive: true, maxSockets: profile.limits.concurrency }
      agent = origin.startsWith('https:') ? new https.Agent(settings) : new http.Agent(settings)
      agents.set(name, agent)
    }
    return agent
  }

  function breakerFor(key: string, profile: ConnectorProfile): CircuitBreaker {
    let breaker = breakers.get(key)
    if (!breaker) {
      breaker = createCircuitBreaker(profile.breaker, options.now)
      breakers.set(key, breaker)
    }
    return breaker
  }

  function budgetFor(key: string, profile: ConnectorProfile): RateBudget {
    const signature = `${profile.limits.requestsPerMinute}/${profile.limits.concurrency}`
    const known = budgets.get(key)
    if (known?.signature === signature) return known.budget
    const budget = createRateBudget(profile.limits, options.now, options.sleep)
    budgets.set(key, { budget, signature })
    return budget
  }

  /** Reads a product error body's code and message, for sanitised error details. */
  const describeError = (profile: ConnectorProfile) => (body: unknown) => {
    const code = readNativeField(body, profile.errors.code)
    const message = readNativeField(body, profile.errors.message)
    if (profile.mode === 'proxy' && typeof body === 'object' && body !== null) {
      const detail = (body as { detail?: unknown }).detail
      if (typeof detail === 'string') return detail
    }
    return [code, message].filter(Boolean).join(': ') || undefined
  }

  return {
    clientFor(
      key: string,
      profile: ConnectorProfile,
      connection: ConnectionConfig,
    ): UpstreamClient {
      const secret = connection.secrets[profile.authSecret]
      return createUpstreamClient({
        product: profile.product,
        preconditions: profile.errors.preconditions,
        baseUrl: connection.baseUrl ?? '',
        headers: () => ({
          ...profile.headers,
          ...(secret ? { authorization: `Bearer ${secret.reveal()}` } : {}),
        }),
        breaker: breakerFor(key, profile),
        budget: budgetFor(key, profile),
        timeoutMs: profile.limits.timeoutMs,
        maxRetries: profile.limits.maxRetries,
        maxRetryWaitMs: options.maxRetryWaitMs,
        // A product that echoes one of the connection's credentials in an error must not put
        // it in a detail.
        describeError: (body) => {
          let text = describeError(profile)(body)
          for (const held of Object.values(connection.secrets)) {
            const value = held.reveal()
            if (text && value) text = text.split(value).join('[redacted]')
          }
          return text
        },
        ...(connection.baseUrl ? { agent: agentFor(key, connection.baseUrl, profile) } : {}),
        now: options.now,
        sleep: options.sleep,
      })
    },

    markMisconfigured(key: string, reason: string): void {
      misconfigured.set(key, { at: new Date(options.now()).toISOString(), reason })
    },

    clearMisconfigured(key: string): void {
      misconfigured.delete(key)
    },

    /** Closes idle product sockets (on shutdown). */
    close(): void {
      for (const agent of agents.values()) agent.destroy()
      agents.clear()
    },

    health(key: string): ConnectionHealth | undefined {
      const breaker = breakers.get(key)
      if (!breaker) return undefined
      const flagged = misconfigured.get(key)
      return { breaker, ...(flagged ? { misconfigured: flagged } : {}) }
    },
  }
}

export type UpstreamRegistry = ReturnType<typeof createUpstreamRegistry>
