import type { Knex } from 'knex'
import type { ConnectionConfig } from '../config/tenant-config.ts'
import type { RequestContext, ResourceService } from '../scim/types.ts'
import type { ResourceValidator } from '../scim/validate.ts'
import type { GroupMemberStore } from '../store/group-members.ts'
import type { LinkClaims } from '../store/link-claims.ts'
import type { LinkStore } from '../store/links.ts'
import type { OutboxStore } from '../store/outbox.ts'
import type { ProductStates } from '../store/product-states.ts'
import { createAccessSync } from './access-sync.ts'
import { createGroupPush } from './group-push.ts'
import { createGroupService, withGroups } from './group-service.ts'
import { createInvitationCheck, INVITED } from './invitation-check.ts'
import { createScimProxyGroups } from './scim-proxy-groups.ts'
import { createUpstreamStep } from './upstream-errors.ts'
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
  outbox: OutboxStore
  productStates: ProductStates
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
  const onMisconfigured = (reason: string) => deps.upstream.markMisconfigured(key, reason)
  const onHealthy = () => deps.upstream.clearMisconfigured(key)
  const reads = createLinkReads(key, deps.links, deps.members, profile.resources.includes('Group'))
  const access = profile.access
  const invitations = profile.invitations
  const queueAccessSync = async (
    userIds: readonly string[],
    trx: Knex | Knex.Transaction,
    requestId: string,
  ) => {
    await deps.outbox.enqueueEach(
      { connectionKey: key, kind: 'access-sync', requestId },
      userIds.map((id) => ({ resource: `User:${id}`, payload: { id } })),
      deps.now().toISOString(),
      trx,
    )
  }
  const groupAdapter =
    profile.groups?.store === 'product'
      ? createScimProxyGroups(profile, client, describeError)
      : undefined
  const users = createLinkedService({
    connectionKey: key,
    resourceTypes: ['User'],
    rules: profile.rules,
    settings,
    deletePolicy: connection.deletePolicy ?? profile.deletePolicy,
    adapter,
    links: deps.links,
    claims: deps.claims,
    reads,
    validator: deps.validator,
    claimTtlMs,
    onMisconfigured,
    onHealthy,
    onUnknownOutcome: (id, requestId) => deps.onUnknownOutcome?.(key, id, claimTtlMs, requestId),
    // Invited until the user finishes setting up the account in the product.
    ...(invitations ? { initialProductState: INVITED } : {}),
    now: deps.now,
  })
  const groups = profile.groups
    ? createGroupService({
        connectionKey: key,
        db: deps.db,
        links: deps.links,
        members: deps.members,
        reads,
        validator: deps.validator,
        now: deps.now,
        upstream: createUpstreamStep(onMisconfigured, onHealthy),
        ...(groupAdapter
          ? {
              adapter: groupAdapter,
              onDiverged: async (id: string) => {
                await deps.outbox.enqueueEach(
                  { connectionKey: key, kind: 'group-push' },
                  [{ resource: `Group:${id}`, payload: { id } }],
                  deps.now().toISOString(),
                )
              },
            }
          : {}),
        ...(profile.groups.refuseGuidNames ? { refuseGuidNames: profile.product } : {}),
        ...(profile.groups.usersOnly ? { usersOnly: profile.product } : {}),
        ...(access
          ? {
              onMembershipChanged: (
                ids: readonly string[],
                trx: Knex.Transaction,
                ctx: RequestContext,
              ) => queueAccessSync(ids, trx, ctx.requestId),
            }
          : {}),
      })
    : undefined
  const service = groups ? withGroups(users, groups) : users
  const checkSecret = invitations && connection.secrets[invitations.check.secret]
  const jobs = createConnectionJobs({
    key,
    connection,
    profile,
    client,
    adapter,
    links: deps.links,
    claims: deps.claims,
    describeError,
    onMisconfigured,
    ...(invitations ? { initialProductState: INVITED } : {}),
    ...(access
      ? {
          accessSync: createAccessSync({
            key,
            profile,
            access,
            settings,
            client,
            links: deps.links,
            members: deps.members,
            describeError,
            onMisconfigured,
            now: () => deps.now().getTime(),
          }),
        }
      : {}),
    ...(groups && groupAdapter ? { groupPush: createGroupPush(groups) } : {}),
    ...(invitations && checkSecret
      ? {
          invitationCheck: createInvitationCheck({
            key,
            profile,
            invitations,
            secret: checkSecret,
            settings,
            client,
            links: deps.links,
            states: deps.productStates,
            describeError,
          }),
        }
      : {}),
    now: deps.now,
  })
  return { service, jobs }
}
