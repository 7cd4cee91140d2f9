import { claimTtlOf } from '../connectors/claim-reconciliation.ts'
import type { ConnectorProfile } from '../connectors/profile.ts'
import type { TenantConfig } from '../config/tenant-config.ts'
import type { LinkClaims } from '../store/link-claims.ts'
import type { OutboxStore } from '../store/outbox.ts'
import type { ProductStates } from '../store/product-states.ts'
import { INVITED } from '../connectors/invitation-check.ts'

export interface ScheduleOptions {
  outbox: OutboxStore
  claims: LinkClaims
  configuration: () => {
    tenants: ReadonlyMap<string, TenantConfig>
    profiles: ReadonlyMap<string, ConnectorProfile>
  }
  productStates: ProductStates
  /** How often the schedule runs: invited users are checked once per run. */
  periodicMs: number
  now: () => Date
}

/**
 * Periodic outbox work, run by every replica; dedupe keys make each job queued once:
 * reconciling claims whose create was lost (a crash, a timeout no request came back for),
 * once a day per product connection, the credential-expiry and drift checks, and on every run,
 * for connections with invited users and a membership read credential, the invitation check.
 */
export function createOutboxSchedule(options: ScheduleOptions) {
  return async function runSchedule(): Promise<void> {
    const now = options.now()
    const at = now.toISOString()
    const day = at.slice(0, 10)
    const { tenants, profiles } = options.configuration()
    for (const tenant of tenants.values()) {
      for (const [name, connection] of Object.entries(tenant.connections)) {
        const profile = profiles.get(connection.connector)
        if (!profile) continue
        const key = `${tenant.tenant}/${name}`
        const before = new Date(now.getTime() - claimTtlOf(profile)).toISOString()
        for (const link of await options.claims.stalePending(key, before)) {
          await options.outbox.enqueue(
            {
              connectionKey: key,
              kind: 'reconcile-claim',
              resource: `User:${link.id}`,
              payload: { id: link.id },
              dedupeKey: `reconcile-claim:${key}:${link.id}:${link.updatedAt}`,
            },
            at,
          )
        }
        const check = profile.invitations?.check
        if (
          check &&
          connection.secrets[check.secret] &&
          (await options.productStates.list(key, INVITED, 1)).length > 0
        ) {
          // One waiting check per connection at most: an outage never piles them up.
          await options.outbox.enqueueEach(
            { connectionKey: key, kind: 'invitation-check' },
            [{ resource: 'invitation-check', payload: {} }],
            at,
          )
        }
        for (const kind of ['credential-expiry', 'drift-check']) {
          await options.outbox.enqueue(
            {
              connectionKey: key,
              kind,
              resource: kind,
              payload: {},
              dedupeKey: `${kind}:${key}:${day}`,
            },
            at,
          )
        }
      }
    }
  }
}
