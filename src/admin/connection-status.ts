import type { ConfigGeneration } from '../config/config-manager.ts'
import type { UpstreamRegistry } from '../connectors/upstream-registry.ts'

export type HealthState = 'healthy' | 'quarantined' | 'misconfigured' | 'idle'

export interface ConnectionStatus {
  tenant: string
  connection: string
  connector: string
  mode: 'directory' | 'translate' | 'proxy'
  health: HealthState
  misconfigured?: { at: string; reason: string }
  /** The upstream credential's expiry (a connection setting such as Torii's apiKeyExpires). */
  credentialExpires?: string
  credentialExpiresInDays?: number
  warnings: string[]
}

const DAY_MS = 86_400_000
/** Warn this long before an upstream credential expires (Torii mails a month ahead too). */
const EXPIRY_WARNING_DAYS = 30

/** Every tenant × connection with its health and warnings, for the admin API and dashboard. */
export function connectionStatuses(
  generation: ConfigGeneration<unknown>,
  upstream: UpstreamRegistry,
  now: Date,
): ConnectionStatus[] {
  const out: ConnectionStatus[] = []
  for (const tenant of generation.tenants.values()) {
    for (const [name, connection] of Object.entries(tenant.connections)) {
      const profile = generation.profiles.get(connection.connector)
      const key = `${tenant.tenant}/${name}`
      const health = upstream.health(key)
      const warnings: string[] = []
      const status: ConnectionStatus = {
        tenant: tenant.tenant,
        connection: name,
        connector: connection.connector,
        mode: profile ? profile.mode : 'directory',
        health: !profile
          ? 'healthy'
          : health?.misconfigured
            ? 'misconfigured'
            : health && health.breaker.state() !== 'closed'
              ? 'quarantined'
              : health
                ? 'healthy'
                : 'idle',
        warnings,
      }
      if (health?.misconfigured) status.misconfigured = health.misconfigured
      // A profile declares which date setting is its credential's expiry.
      for (const [setting, spec] of Object.entries(profile?.settings ?? {})) {
        const value = connection.settings[setting]
        if (spec.type !== 'date' || !spec.credentialExpiry || typeof value !== 'string') continue
        const days = Math.floor((Date.parse(value) - now.getTime()) / DAY_MS)
        status.credentialExpires = value
        status.credentialExpiresInDays = days
        if (days < 0) warnings.push(`the ${profile?.product} credential expired on ${value}`)
        else if (days <= EXPIRY_WARNING_DAYS)
          warnings.push(`the ${profile?.product} credential expires in ${days} days (${value})`)
      }
      out.push(status)
    }
  }
  return out
}
