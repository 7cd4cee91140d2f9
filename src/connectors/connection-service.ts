import type { Knex } from 'knex'
import type { ConnectionConfig } from '../config/tenant-config.ts'
import type { ResourceService } from '../scim/types.ts'
import type { ResourceValidator } from '../scim/validate.ts'
import type { GroupMemberStore } from '../store/group-members.ts'
import type { LinkClaims } from '../store/link-claims.ts'
import type { LinkStore } from '../store/links.ts'
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

/** Builds the ResourceService behind one connection: the directory, or a product connector. */
export function createConnectionService(
  key: string,
  connection: ConnectionConfig,
  profile: ConnectorProfile | undefined,
  deps: ServiceDependencies,
): ResourceService {
  if (!profile) {
    return createDirectoryService({
      connectionKey: key,
      db: deps.db,
      links: deps.links,
      members: deps.members,
      validator: deps.validator,
      now: deps.now,
    })
  }
  const settings = settingsOf(profile, connection)
  const client = deps.upstream.clientFor(key, profile, connection)
  const describeError = deps.upstream.describeError(profile)
  const adapter =
    profile.mode === 'translate'
      ? createTranslateAdapter({ profile, client, settings, describeError })
      : createScimProxyAdapter({ profile, client, describeError })
  return createLinkedService({
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
    // A create may take every retry of its product call before its claim is presumed lost.
    claimTtlMs: profile.limits.timeoutMs * (profile.limits.maxRetries + 1) + 5_000,
    onMisconfigured: (reason) => deps.upstream.markMisconfigured(key, reason),
    onHealthy: () => deps.upstream.clearMisconfigured(key),
    now: deps.now,
  })
}
