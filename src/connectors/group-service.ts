import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import {
  endpointNotFound,
  invalidValue,
  notFound,
  preconditionFailed,
  uniqueness,
} from '../scim/errors.ts'
import { applyPatch, splitMemberOperations, type MemberChange } from '../scim/patch.ts'
import type {
  PatchOperation,
  RequestContext,
  ResourceService,
  ResourceType,
  ScimResource,
} from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'
import type { ResourceValidator } from '../scim/validate.ts'
import { isUniqueViolation } from '../store/database.ts'
import type { GroupMemberStore } from '../store/group-members.ts'
import { newLink, type Link, type LinkStore } from '../store/links.ts'
import { checkGroupName } from './group-names.ts'
import type { LinkReads } from './link-reads.ts'
import { checkIfMatch, toScimResource, toScimView } from './scim-view.ts'
import type { UpstreamCall } from './upstream-client.ts'
import { UpstreamFailure } from './upstream-errors.ts'

/** A product that holds groups itself (Infisical): the gateway mirrors them as links and rows. */
export interface GroupAdapter {
  /** Creates the group with these members (product ids); answers the product's group id. */
  create(view: ScimResource, members: readonly string[], calls: UpstreamCall[]): Promise<string>
  /** The product's group of that name, when one exists (a create whose answer was lost). */
  findByName(displayName: string, calls: UpstreamCall[]): Promise<string | undefined>
  /** Sends a new name and/or the whole new member set. */
  update(
    nativeId: string,
    change: { displayName?: string; members?: readonly string[] },
    calls: UpstreamCall[],
  ): Promise<void>
  delete(nativeId: string, calls: UpstreamCall[]): Promise<void>
}

export interface GroupServiceOptions {
  connectionKey: string
  db: Knex
  links: LinkStore
  members: GroupMemberStore
  reads: LinkReads
  validator: ResourceValidator
  now: () => Date
  /** Groups held by the product; without it the gateway is the only store of groups. */
  adapter?: GroupAdapter
  /** Runs an upstream step, turning a product failure into its SCIM error. */
  upstream?: <T>(step: () => Promise<T>) => Promise<T>
  /** The product matches rules by group name: bare GUID names are refused. */
  refuseGuidNames?: string
  /** Only users may be members (the product's groups hold no groups). */
  usersOnly?: string
  /**
   * The product took a change the gateway then could not store (a concurrent writer in another
   * process won, or a member vanished meanwhile): the group's stored state is to be sent again.
   */
  onDiverged?: (groupId: string) => Promise<void>
  /**
   * Users whose direct groups changed (added, removed, or their group renamed or deleted),
   * told inside the transaction that changed them, so follow-up work is never lost.
   */
  onMembershipChanged?: (
    userIds: readonly string[],
    trx: Knex.Transaction,
    ctx: RequestContext,
  ) => Promise<void>
}

const MAX_VERSION_RETRIES = 5

/** Member values named in a request, deduplicated, in request order. */
export function memberValues(resource: ScimResource): string[] {
  const members = resource.members
  if (!Array.isArray(members)) return []
  const values = members.flatMap((m) =>
    isJsonObject(m) && typeof m.value === 'string' ? [m.value] : [],
  )
  return [...new Set(values)]
}

/** The member set after the changes, in order (what a product holding groups is sent). */
function applyChanges(current: readonly string[], changes: readonly MemberChange[]): string[] {
  const set = new Set(current)
  for (const change of changes) {
    if (change.kind === 'removeAll' || change.kind === 'replace') set.clear()
    if (change.kind === 'remove') for (const v of change.values) set.delete(v)
    if (change.kind === 'add' || change.kind === 'replace')
      for (const v of change.values) set.add(v)
  }
  return [...set]
}

/** Users named by changes that do not need the current members to be known. */
function namedUsers(changes: readonly MemberChange[]): string[] {
  return changes.flatMap((c) => (c.kind === 'add' || c.kind === 'remove' ? c.values : []))
}

/**
 * SCIM Groups for every connection that has them: memberships are rows changed in one
 * transaction per request (a 1,000-member PATCH is one transaction), never a rewritten array.
 * A product that holds groups is sent the change first, with no transaction open.
 */
export function createGroupService(options: GroupServiceOptions) {
  const { connectionKey, db, links, members, reads, validator, adapter } = options
  const now = () => options.now().toISOString()
  const upstream = options.upstream ?? (<T>(step: () => Promise<T>) => step())
  const watchesMembers = options.onMembershipChanged !== undefined

  // Writes to a product's group run one at a time per group (and creates per name) in this
  // process: the product is sent whole member sets, so two at once could store the older.
  const locks = new Map<string, Promise<unknown>>()
  async function serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (!adapter) return work()
    const run = (locks.get(key) ?? Promise.resolve()).then(work, work)
    const tail = run.catch(() => undefined)
    locks.set(key, tail)
    try {
      return await run
    } finally {
      if (locks.get(key) === tail) locks.delete(key)
    }
  }

  function checkName(view: ScimResource) {
    if (options.refuseGuidNames) checkGroupName(view.displayName, options.refuseGuidNames)
  }

  async function load(id: string, trx: Knex | Knex.Transaction = db) {
    const link = await links.findById(connectionKey, 'Group', id, trx)
    if (!link) throw notFound('Group', id)
    return link
  }

  /** Resolves member ids to their types; every one must exist in this connection. */
  async function resolveMembers(values: readonly string[], trx: Knex | Knex.Transaction) {
    const types = await links.findTypes(connectionKey, values, trx)
    const missing = values.filter((v) => !types.has(v))
    if (missing.length > 0) {
      const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ', …' : '')
      throw endpointNotFound(
        `Group members not found in this connection: ${shown}; the group was not changed`,
      )
    }
    const resolved = values.map((id) => ({ id, type: types.get(id) as ResourceType }))
    const groups = resolved.filter((m) => m.type === 'Group')
    if (options.usersOnly && groups.length > 0) {
      throw invalidValue(
        `${options.usersOnly} groups hold users only; ${groups[0]?.id ?? ''} is a group`,
      )
    }
    return resolved
  }

  const conflict = (view: ScimResource) =>
    uniqueness(`A group with displayName ${JSON.stringify(view.displayName)} already exists`)

  async function applyMemberChanges(
    link: Link,
    changes: readonly MemberChange[],
    trx: Knex.Transaction,
  ) {
    for (const change of changes) {
      switch (change.kind) {
        case 'add':
          await members.add(connectionKey, link.id, await resolveMembers(change.values, trx), trx)
          break
        case 'remove':
          await members.remove(connectionKey, link.id, change.values, trx)
          break
        case 'removeAll':
          await members.removeAll(connectionKey, link.id, trx)
          break
        case 'replace': {
          const resolved = await resolveMembers(change.values, trx)
          await members.removeAll(connectionKey, link.id, trx)
          await members.add(connectionKey, link.id, resolved, trx)
          break
        }
      }
    }
  }

  /** The group's current members: ids, and which of them are users. */
  async function currentMembers(groupId: string, trx: Knex | Knex.Transaction = db) {
    const rows = await members.membersOf(connectionKey, [groupId], trx)
    return {
      ids: rows.map((m) => m.memberId),
      users: rows.filter((m) => m.memberType === 'User').map((m) => m.memberId),
    }
  }

  /** Tells the connection which users' groups changed, keeping only users of this connection. */
  async function notify(
    ids: readonly string[],
    trx: Knex.Transaction,
    ctx: RequestContext,
  ): Promise<void> {
    if (!options.onMembershipChanged || ids.length === 0) return
    const unique = [...new Set(ids)]
    const types = await links.findTypes(connectionKey, unique, trx)
    const users = unique.filter((id) => types.get(id) === 'User')
    if (users.length > 0) await options.onMembershipChanged(users, trx, ctx)
  }

  async function insert(link: Link, memberIds: readonly string[], ctx: RequestContext) {
    try {
      await db.transaction(async (trx) => {
        await links.insert(link, trx)
        await members.add(connectionKey, link.id, await resolveMembers(memberIds, trx), trx)
        await notify(memberIds, trx, ctx)
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(link.scim)
      throw err
    }
  }

  async function create(resource: ScimResource, ctx: RequestContext): Promise<ScimResource> {
    validator.validate('Group', resource, 'create')
    const view = toScimView(resource)
    checkName(view)
    ctx.trace.subject = typeof view.displayName === 'string' ? view.displayName : undefined
    const values = memberValues(resource)
    // Checked before the product is called, so it is never left with a half-made group.
    await resolveMembers(values, db)
    let id: string = randomUUID()
    if (adapter) {
      const name = displayNameOf(view)
      id = await upstream(async () => {
        try {
          return await adapter.create(view, values, ctx.trace.upstream)
        } catch (err) {
          // A group of that name already in the product (a create whose answer was lost, or
          // one made there by hand) is taken over, unless the gateway links it already.
          if (!(err instanceof UpstreamFailure) || err.scimError.status !== 409) throw err
          const found = await adapter.findByName(name, ctx.trace.upstream)
          if (!found || (await links.findById(connectionKey, 'Group', found))) throw err
          await adapter.update(found, { displayName: name, members: values }, ctx.trace.upstream)
          return found
        }
      })
    }
    const link = newLink(
      {
        connectionKey,
        resourceType: 'Group',
        id,
        nativeId: adapter ? id : null,
        state: 'active',
        scim: view,
      },
      now(),
    )
    await insert(link, values, ctx)
    ctx.trace.resourceId = id
    return reads.represent(link, ctx)
  }

  /**
   * Reads, changes and writes a group under its version; a concurrent writer makes it start
   * again (or fail with 412 when the client pinned a version with If-Match).
   */
  async function update(
    id: string,
    ctx: RequestContext,
    change: (link: Link) => { view: ScimResource; memberChanges: readonly MemberChange[] },
  ): Promise<ScimResource> {
    for (let attempt = 0; ; attempt++) {
      const link = await load(id)
      checkIfMatch(link.version, ctx.ifMatch)
      ctx.trace.subject = link.displayName ?? undefined
      const { view, memberChanges } = change(link)
      checkName(view)
      const renamed = view.displayName !== link.scim.displayName
      // The whole member set is needed when the product is sent it, or when every member's
      // access may change (a rename, a replace).
      const needsCurrent =
        adapter !== undefined ||
        (watchesMembers &&
          (renamed || memberChanges.some((c) => c.kind === 'removeAll' || c.kind === 'replace')))
      const current = needsCurrent ? await currentMembers(id) : undefined
      let sent = false
      if (adapter && current) {
        const next = applyChanges(current.ids, memberChanges)
        const had = new Set(current.ids)
        await resolveMembers(
          next.filter((m) => !had.has(m)),
          db,
        )
        const sameMembers = next.length === had.size && next.every((m) => had.has(m))
        if (renamed || !sameMembers) {
          await upstream(() =>
            adapter.update(
              link.nativeId ?? link.id,
              {
                ...(renamed ? { displayName: displayNameOf(view) } : {}),
                ...(sameMembers ? {} : { members: next }),
              },
              ctx.trace.upstream,
            ),
          )
          sent = true
        }
      }
      try {
        const updated = await db.transaction(async (trx) => {
          const viewChanged = JSON.stringify(view) !== JSON.stringify(link.scim)
          const written = viewChanged
            ? await links.updateView(link, view, now(), trx)
            : memberChanges.length > 0
              ? await links.touch(link, now(), trx)
              : link
          if (!written) return undefined
          await applyMemberChanges(written, memberChanges, trx)
          if (watchesMembers) {
            const after = current ? await currentMembers(id, trx) : undefined
            await notify(
              renamed || !current || !after
                ? [...(current?.users ?? []), ...(after?.users ?? []), ...namedUsers(memberChanges)]
                : [...current.users, ...after.users].filter(
                    (u) => current.users.includes(u) !== after.users.includes(u),
                  ),
              trx,
              ctx,
            )
          }
          return written
        })
        if (updated) return reads.represent(updated, ctx)
      } catch (err) {
        if (sent) await options.onDiverged?.(id)
        if (isUniqueViolation(err)) throw conflict(view)
        throw err
      }
      if (ctx.ifMatch !== undefined || attempt >= MAX_VERSION_RETRIES) {
        if (sent) await options.onDiverged?.(id)
        throw preconditionFailed(`Group ${id} was changed by another request; read it again`)
      }
    }
  }

  async function remove(id: string, ctx: RequestContext) {
    const link = await load(id)
    checkIfMatch(link.version, ctx.ifMatch)
    ctx.trace.subject = link.displayName ?? undefined
    if (adapter) await upstream(() => adapter.delete(link.nativeId ?? link.id, ctx.trace.upstream))
    await db.transaction(async (trx) => {
      const before = watchesMembers ? await currentMembers(id, trx) : undefined
      await links.remove(connectionKey, 'Group', id, trx)
      await members.removeMemberEverywhere(connectionKey, id, trx)
      await members.removeAll(connectionKey, id, trx)
      if (before) await notify(before.users, trx, ctx)
    })
  }

  return {
    create: (resource: ScimResource, ctx: RequestContext) =>
      serialised(`name:${displayNameOf(resource).toLowerCase()}`, () => create(resource, ctx)),

    async replace(id: string, resource: ScimResource, ctx: RequestContext) {
      validator.validate('Group', resource, 'replace')
      // RFC 7644 §3.5.1: PUT replaces the whole resource, members included.
      const values = memberValues(resource)
      return serialised(`id:${id}`, () =>
        update(id, ctx, () => ({
          view: toScimView(resource),
          memberChanges: [{ kind: 'replace', values }],
        })),
      )
    },

    async patch(id: string, operations: readonly PatchOperation[], ctx: RequestContext) {
      const { memberChanges, otherOperations } = splitMemberOperations(operations)
      return serialised(`id:${id}`, () =>
        update(id, ctx, (link) => {
          const current = toScimResource(link)
          const patched =
            otherOperations.length > 0 ? applyPatch('Group', current, otherOperations) : current
          validator.validate('Group', patched, 'replace')
          return { view: toScimView(patched), memberChanges }
        }),
      )
    },

    delete: (id: string, ctx: RequestContext) => serialised(`id:${id}`, () => remove(id, ctx)),

    /**
     * Sends a product-held group's stored name and whole member set again (the group-push job).
     * A change stored while it was on its way may have reached the product first, so a version
     * that moved meanwhile means: send again (the error makes the job retry).
     */
    push: (id: string, calls: UpstreamCall[]) =>
      serialised(`id:${id}`, async (): Promise<string | undefined> => {
        if (!adapter) return undefined
        const link = await links.findById(connectionKey, 'Group', id)
        if (!link) return undefined
        const held = (await currentMembers(id)).ids
        await adapter.update(
          link.nativeId ?? link.id,
          { ...(link.displayName ? { displayName: link.displayName } : {}), members: held },
          calls,
        )
        const after = await links.findById(connectionKey, 'Group', id)
        if (after && after.version !== link.version)
          throw new Error(`group ${id} changed while it was sent; sending it again`)
        return `sent ${held.length} members`
      }),
  }
}

export type GroupService = ReturnType<typeof createGroupService>

/** A connection's users service with its groups served by the group service. */
export function withGroups(users: ResourceService, groups: GroupService): ResourceService {
  return {
    resourceTypes: ['User', 'Group'],
    create: (type, resource, ctx) =>
      type === 'Group' ? groups.create(resource, ctx) : users.create(type, resource, ctx),
    get: (type, id, ctx) => users.get(type, id, ctx),
    list: (type, query, ctx) => users.list(type, query, ctx),
    replace: (type, id, resource, ctx) =>
      type === 'Group' ? groups.replace(id, resource, ctx) : users.replace(type, id, resource, ctx),
    patch: (type, id, operations, ctx) =>
      type === 'Group' ? groups.patch(id, operations, ctx) : users.patch(type, id, operations, ctx),
    delete: (type, id, ctx) =>
      type === 'Group' ? groups.delete(id, ctx) : users.delete(type, id, ctx),
  }
}

/** A group's name as text (validation has made sure it is a string). */
function displayNameOf(view: ScimResource): string {
  return typeof view.displayName === 'string' ? view.displayName : ''
}
