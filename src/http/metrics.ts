import type { RequestHandler } from 'express'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { BreakerState } from '../connectors/circuit-breaker.ts'
import type { RequestTrace } from '../scim/types.ts'

export interface QuarantineState {
  /** `tenant/connection`, as the upstream registry and the outbox key connections. */
  connectionKey: string
  state: BreakerState
}

export interface BacklogCount {
  connectionKey: string
  queued: number
  dead: number
}

export interface MetricsOptions {
  /** Breaker state of every connection that calls a product; read on each scrape. */
  quarantined: () => readonly QuarantineState[]
  /** Outbox rows per connection (the outbox store's `backlog()` fits); read on each scrape. */
  backlog: () => Promise<readonly BacklogCount[]>
}

export interface Metrics {
  registry: Registry
  /** Counts every request it sees on `finish`, and the upstream calls its trace records. */
  middleware(): RequestHandler
  /** Answers with the registry in Prometheus text format; mount it at `GET /metrics`. */
  handler(): RequestHandler
}

// Label values are bounded: tenant and connection are configuration names (from the scope the
// token resolved to, never the path or the token), methods and statuses come from fixed sets.
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])
const UPSTREAM_OUTCOMES = new Set(['timeout', 'unreachable', 'quarantined', 'over-budget'])
/** Outcomes where no request reached the product: they have no duration worth observing. */
const NOT_SENT = new Set(['quarantined', 'over-budget'])

const methodLabel = (method: string) => (METHODS.has(method) ? method : 'OTHER')

function upstreamStatusLabel(status: number | string): string {
  if (typeof status === 'number') return Number.isInteger(status) ? String(status) : 'other'
  return UPSTREAM_OUTCOMES.has(status) ? status : 'other'
}

/** Splits `tenant/connection`; a key without a slash is all tenant. */
function splitKey(connectionKey: string): { tenant: string; connection: string } {
  const slash = connectionKey.indexOf('/')
  return slash < 0
    ? { tenant: connectionKey, connection: '' }
    : { tenant: connectionKey.slice(0, slash), connection: connectionKey.slice(slash + 1) }
}

/**
 * Prometheus metrics for one gateway, in a registry of its own (never prom-client's global
 * one), so a process — or a test — may build as many gateways as it likes.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry()
  const registers = [registry]

  const requests = new Counter({
    name: 'scim_requests_total',
    help: 'Requests answered, by tenant, connection, method and status',
    labelNames: ['tenant', 'connection', 'method', 'status'] as const,
    registers,
  })
  const requestDuration = new Histogram({
    name: 'scim_request_duration_seconds',
    help: 'Time from arrival to the last byte of the answer',
    labelNames: ['tenant', 'connection', 'method'] as const,
    registers,
  })
  const upstreamCalls = new Counter({
    name: 'scim_upstream_calls_total',
    help: 'Calls to products, by HTTP status or timeout/unreachable/quarantined/over-budget',
    labelNames: ['tenant', 'connection', 'status'] as const,
    registers,
  })
  const upstreamRetries = new Counter({
    name: 'scim_upstream_retries_total',
    help: 'Calls to products that were a retry (attempt > 1)',
    labelNames: ['tenant', 'connection'] as const,
    registers,
  })
  const upstreamRateLimited = new Counter({
    name: 'scim_upstream_rate_limited_total',
    help: 'Calls the product answered with 429',
    labelNames: ['tenant', 'connection'] as const,
    registers,
  })
  const upstreamFailures = new Counter({
    name: 'scim_upstream_failures_total',
    help: 'Calls answered with 5xx or not answered (timeout, unreachable, quarantined, over budget)',
    labelNames: ['tenant', 'connection'] as const,
    registers,
  })
  const upstreamDuration = new Histogram({
    name: 'scim_upstream_call_duration_seconds',
    help: 'Duration of calls that went to the product',
    labelNames: ['tenant', 'connection'] as const,
    registers,
  })
  const quarantine = new Gauge({
    name: 'scim_connection_quarantined',
    help: '1 while the connection breaker is open or half-open',
    labelNames: ['tenant', 'connection'] as const,
    registers,
    collect() {
      // Reset first: a connection removed by a reload must not linger with its last value.
      quarantine.reset()
      for (const { connectionKey, state } of options.quarantined())
        quarantine.set(splitKey(connectionKey), state === 'closed' ? 0 : 1)
    },
  })
  const backlog = new Gauge({
    name: 'scim_outbox_backlog',
    help: 'Outbox jobs per connection waiting (queued) or given up on (dead)',
    labelNames: ['tenant', 'connection', 'state'] as const,
    registers,
    async collect() {
      backlog.reset()
      let counts: readonly BacklogCount[]
      try {
        counts = await options.backlog()
      } catch {
        // The database is away: the scrape still answers (with the request counters, which
        // matter most then); the backlog series are absent until it is back.
        return
      }
      for (const { connectionKey, queued, dead } of counts) {
        const labels = splitKey(connectionKey)
        backlog.set({ ...labels, state: 'queued' }, queued)
        backlog.set({ ...labels, state: 'dead' }, dead)
      }
    },
  })

  function observeUpstream(labels: { tenant: string; connection: string }, trace: RequestTrace) {
    for (const call of trace.upstream) {
      const status = upstreamStatusLabel(call.status)
      upstreamCalls.inc({ ...labels, status })
      if (call.attempt > 1) upstreamRetries.inc(labels)
      if (call.status === 429) upstreamRateLimited.inc(labels)
      if (typeof call.status !== 'number' || call.status >= 500) upstreamFailures.inc(labels)
      if (!NOT_SENT.has(status)) upstreamDuration.observe(labels, call.ms / 1000)
    }
  }

  return {
    registry,

    middleware(): RequestHandler {
      return (req, res, next) => {
        const started = process.hrtime.bigint()
        res.on('finish', () => {
          const scope = res.locals.scope
          const labels = { tenant: scope?.tenant ?? '', connection: scope?.connection ?? '' }
          const method = methodLabel(req.method)
          const seconds = Number(process.hrtime.bigint() - started) / 1e9
          requests.inc({ ...labels, method, status: String(res.statusCode) })
          requestDuration.observe({ ...labels, method }, seconds)
          if (res.locals.trace) observeUpstream(labels, res.locals.trace)
        })
        next()
      }
    },

    handler(): RequestHandler {
      return (_req, res, next) => {
        registry
          .metrics()
          .then((text) => {
            res.setHeader('Content-Type', registry.contentType)
            res.setHeader('Cache-Control', 'no-store')
            res.send(text)
          })
          .catch(next)
      }
    },
  }
}

/** The connections a configuration names, keyed `tenant/connection`. */
export interface ConfiguredConnections {
  tenants: ReadonlyMap<string, { connections: Readonly<Record<string, { connector: string }>> }>
  profiles: ReadonlyMap<string, unknown>
}

/**
 * The `quarantined` provider from the configuration in force and the upstream registry: every
 * connection served by a product profile (the built-in directory has no breaker), `closed`
 * until its breaker exists, so each has a series from the first scrape on.
 */
export function breakerStates(
  configuration: () => ConfiguredConnections,
  health: (connectionKey: string) => { breaker: { state(): BreakerState } } | undefined,
): () => QuarantineState[] {
  return () => {
    const { tenants, profiles } = configuration()
    const out: QuarantineState[] = []
    for (const [tenant, config] of tenants) {
      for (const [name, connection] of Object.entries(config.connections)) {
        if (!profiles.has(connection.connector)) continue
        const connectionKey = `${tenant}/${name}`
        out.push({ connectionKey, state: health(connectionKey)?.breaker.state() ?? 'closed' })
      }
    }
    return out
  }
}
