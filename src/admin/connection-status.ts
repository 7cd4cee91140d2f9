import type { ConfigGeneration } from '../config/config-manager.ts'
import { credentialExpiries } from '../connectors/profile.ts'
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
      if (profile) {
        for (const { date, days } of credentialExpiries(profile, connection.settings, now)) {
          status.credentialExpires = date
          status.credentialExpiresInDays = days
          if (days < 0) warnings.push(`the ${profile.product} credential expired on ${date}`)
          else if (days <= EXPIRY_WARNING_DAYS)
            warnings.push(`the ${profile.product} credential expires in ${days} days (${date})`)
        }
      }
      out.push(status)
    }
  }
  return out
}
