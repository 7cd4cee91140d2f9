import type { ConfigGeneration, ReloadOutcome } from '../config/config-manager.ts'
import type { UpstreamRegistry } from '../connectors/upstream-registry.ts'
import type { ConnectionActivity, EventStore, ProvisioningEvent } from '../store/events.ts'
import type { LinkClaims } from '../store/link-claims.ts'
import type { OutboxStore } from '../store/outbox.ts'
import type { ProductStates } from '../store/product-states.ts'
import type { TokenStore } from '../store/tokens.ts'
import { connectionStatuses, type ConnectionStatus } from './connection-status.ts'

export interface Activity {
  total: number
  errors: number
}

export interface ConnectionOverview extends Omit<ConnectionStatus, 'health'> {
  health: ConnectionStatus['health'] | 'degraded'
  lastHour: Activity
  lastDay: Activity
  /** Upstream call latency over the last hour, in milliseconds. */
  latency: { p50: number; p95: number } | null
  lastSuccess: { at: string; method: string; subject: string | null } | null
  lastFailure: { at: string; method: string; subject: string | null; reason: string | null } | null
  outbox: { queued: number; running: number; dead: number; oldestQueuedAt: string | null }
  pendingUsers: number
  /** Users per product-side state (e.g. `invited` until account setup is complete). */
  productStates: Record<string, number>
}

export interface Overview {
  generatedAt: string
  configuration: { generation: number; loadedAt: string; lastReload: ReloadOutcome | null }
  connections: ConnectionOverview[]
}

export interface OverviewSources {
  config: () => ConfigGeneration<unknown>
  lastReload: () => ReloadOutcome | null
  upstream: UpstreamRegistry
  events: EventStore
  outbox: OutboxStore
  tokens: TokenStore
  claims: LinkClaims
  productStates: ProductStates
  now: () => Date
}

const HOUR = 3_600_000
const DAY_MS = 24 * HOUR
/** Below this share of failures in the last hour, with a few failures at least, a connection is degraded. */
const DEGRADED_ERROR_RATE = 0.25
const DEGRADED_MIN_ERRORS = 3

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] ?? 0
}

function latencyOf(
  events: readonly ProvisioningEvent[],
): Overview['connections'][number]['latency'] {
  const ms = events.flatMap((e) => e.upstream.map((c) => c.ms)).sort((a, b) => a - b)
  return ms.length === 0 ? null : { p50: percentile(ms, 50), p95: percentile(ms, 95) }
}

/** Everything the overview shows, for the page and the JSON API alike. Never a secret. */
export async function buildOverview(sources: OverviewSources): Promise<Overview> {
  const now = sources.now()
  const hourAgo = new Date(now.getTime() - HOUR).toISOString()
  const dayAgo = new Date(now.getTime() - DAY_MS).toISOString()
  const generation = sources.config()
  const [hour, day, backlog, tokens, states] = await Promise.all([
    sources.events.activity(hourAgo),
    sources.events.activity(dayAgo),
    sources.outbox.backlog(),
    sources.tokens.list(),
    sources.productStates.counts(),
  ])
  const activityOf = (list: ConnectionActivity[], tenant: string, connection: string): Activity => {
    const found = list.find((a) => a.tenant === tenant && a.connection === connection)
    return { total: found?.total ?? 0, errors: found?.errors ?? 0 }
  }
  const connections: ConnectionOverview[] = []
  for (const status of connectionStatuses(generation, sources.upstream, now)) {
    const { tenant, connection } = status
    const key = `${tenant}/${connection}`
    const [recent, success, failure, pendingUsers] = await Promise.all([
      sources.events.list({ tenant, connection, since: hourAgo, limit: 500 }),
      sources.events.list({ tenant, connection, failed: false, limit: 1 }),
      sources.events.list({ tenant, connection, failed: true, limit: 1 }),
      sources.claims.countPending(key),
    ])
    const lastHour = activityOf(hour, tenant, connection)
    const lastDay = activityOf(day, tenant, connection)
    const queue = backlog.find((b) => b.connectionKey === key)
    const warnings = [...status.warnings]
    for (const token of tokens) {
      if (
        token.tenant !== tenant ||
        token.connection !== connection ||
        token.revokedAt ||
        !token.expiresAt
      )
        continue
      const days = Math.floor((Date.parse(token.expiresAt) - now.getTime()) / DAY_MS)
      if (days >= 0 && days <= 30)
        warnings.push(`gateway token scgw_${token.prefix} expires in ${days} days`)
    }
    if (pendingUsers > 0)
      warnings.push(`${pendingUsers} users pending (creates not yet confirmed by the product)`)
    const productStates = Object.fromEntries(
      states.filter((s) => s.connectionKey === key).map((s) => [s.state, s.count]),
    )
    if (productStates.invited)
      warnings.push(
        `${productStates.invited} users invited, not yet through account setup in the product`,
      )
    if (queue?.dead) warnings.push(`${queue.dead} dead outbox jobs`)
    if (queue?.queued)
      warnings.push(`${queue.queued} outbox jobs waiting since ${queue.oldestQueuedAt ?? '?'}`)
    const degraded =
      status.health === 'healthy' &&
      lastHour.errors >= DEGRADED_MIN_ERRORS &&
      lastHour.errors / Math.max(1, lastHour.total) >= DEGRADED_ERROR_RATE
    const [ok] = success
    const [bad] = failure
    connections.push({
      ...status,
      // Nothing in the last day, and nothing wrong: idle.
      health: degraded
        ? 'degraded'
        : status.health === 'healthy' && lastDay.total === 0
          ? 'idle'
          : status.health,
      warnings,
      lastHour,
      lastDay,
      latency: latencyOf(recent),
      lastSuccess: ok ? { at: ok.at, method: ok.method, subject: ok.subject } : null,
      lastFailure: bad
        ? { at: bad.at, method: bad.method, subject: bad.subject, reason: bad.detail }
        : null,
      outbox: {
        queued: queue?.queued ?? 0,
        running: queue?.running ?? 0,
        dead: queue?.dead ?? 0,
        oldestQueuedAt: queue?.oldestQueuedAt ?? null,
      },
      pendingUsers,
      productStates,
    })
  }
  return {
    generatedAt: now.toISOString(),
    configuration: {
      generation: generation.number,
      loadedAt: generation.loadedAt,
      lastReload: sources.lastReload(),
    },
    connections,
  }
}
