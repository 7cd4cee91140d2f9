import type { Knex } from 'knex'
import type { ConnectionConfig } from '../config/tenant-config.ts'
import type { ResourceService } from '../scim/types.ts'
import type { ResourceValidator } from '../scim/validate.ts'
import type { GroupMemberStore } from '../store/group-members.ts'
import type { LinkClaims } from '../store/link-claims.ts'
import type { LinkStore } from '../store/links.ts'
import { claimTtlOf } from './claim-reconciliation.ts'
import { createConnectionJobs, type ConnectionJobs } from './connection-jobs.ts'
import { createDirectoryService } from './directory.ts'
import { createLinkReads } from './link-reads.ts'
import { createLinkedService } from './linked-service.ts'
import type { ConnectorProfile } from './profile.ts'
import { createScimProxyAdapter } from './scim-proxy-adapter.ts'
import { createTranslateAdapter } from './translate-adapter.ts'
import type { UpstreamRegistry } from './upstream-registry.ts'

export interface ServiceDependencies {
  db: Knex
  links: LinkStore
  claims: LinkClaims
  members: GroupMemberStore
  validator: ResourceValidator
  upstream: UpstreamRegistry
  /** A create's outcome was lost: the claim is to be reconciled later (by the outbox). */
  onUnknownOutcome?: (
    connectionKey: string,
    linkId: string,
    claimTtlMs: number,
    requestId: string,
  ) => void
  now: () => Date
}

/** A connection's settings: the profile's defaults, overridden by the tenant file. */
export function settingsOf(
  profile: ConnectorProfile | undefined,
  connection: ConnectionConfig,
): Readonly<Record<string, unknown>> {
  const defaults = Object.fromEntries(
    Object.entries(profile?.settings ?? {}).flatMap(([name, spec]) =>
      spec.default === undefined ? [] : [[name, spec.default]],
    ),
  )
  return { ...defaults, ...connection.settings }
}

export interface ConnectionServices {
  service: ResourceService
  /** The outbox kinds this connection runs; the directory has none. */
  jobs?: ConnectionJobs
}

/** Builds what serves one connection: the directory, or a product connector and its jobs. */
export function createConnectionService(
  key: string,
  connection: ConnectionConfig,
  profile: ConnectorProfile | undefined,
  deps: ServiceDependencies,
): ConnectionServices {
  if (!profile) {
    const service = createDirectoryService({
      connectionKey: key,
      db: deps.db,
      links: deps.links,
      members: deps.members,
      validator: deps.validator,
      now: deps.now,
    })
    return { service }
  }
  const settings = settingsOf(profile, connection)
  const claimTtlMs = claimTtlOf(profile)
  const client = deps.upstream.clientFor(key, profile, connection)
  const describeError = client.describeError
  const adapter =
    profile.mode === 'translate'
      ? createTranslateAdapter({ profile, client, settings, describeError })
      : createScimProxyAdapter({ profile, client, describeError })
  const service = createLinkedService({
    connectionKey: key,
    resourceTypes: profile.resources.filter((r) => r === 'User'),
    rules: profile.rules,
    settings,
    deletePolicy: connection.deletePolicy ?? profile.deletePolicy,
    adapter,
    links: deps.links,
    claims: deps.claims,
    reads: createLinkReads(key, deps.links, deps.members, profile.resources.includes('Group')),
    validator: deps.validator,
    claimTtlMs,
    onMisconfigured: (reason) => deps.upstream.markMisconfigured(key, reason),
    onHealthy: () => deps.upstream.clearMisconfigured(key),
    onUnknownOutcome: (id, requestId) => deps.onUnknownOutcome?.(key, id, claimTtlMs, requestId),
    now: deps.now,
  })
  const jobs = createConnectionJobs({
    key,
    connection,
    profile,
    client,
    adapter,
    links: deps.links,
    claims: deps.claims,
    describeError,
    now: deps.now,
  })
  return { service, jobs }
}
