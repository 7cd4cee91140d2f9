import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { notFound, preconditionFailed, uniqueness, endpointNotFound } from '../scim/errors.ts'
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
import { keysOf, type Link, type LinkStore } from '../store/links.ts'
import { createLinkReads } from './link-reads.ts'
import { checkIfMatch, toScimResource, toScimView } from './scim-view.ts'

export interface DirectoryServiceOptions {
  connectionKey: string
  db: Knex
  links: LinkStore
  members: GroupMemberStore
  validator: ResourceValidator
  now: () => Date
}

const MAX_VERSION_RETRIES = 5

/** Member values named in a request, deduplicated, in request order. */
function memberValues(resource: ScimResource): string[] {
  const members = resource.members
  if (!Array.isArray(members)) return []
  const values = members.flatMap((m) =>
    isJsonObject(m) && typeof m.value === 'string' ? [m.value] : [],
  )
  return [...new Set(values)]
}

/**
 * The `directory` connector: the gateway itself is the store. Users and groups live in the
 * link store; group memberships are rows.
 */
export function createDirectoryService(options: DirectoryServiceOptions): ResourceService {
  const { connectionKey, db, links, members, validator } = options
  const now = () => options.now().toISOString()
  const reads = createLinkReads(connectionKey, links, members)
  const { represent } = reads

  async function load(type: ResourceType, id: string, trx: Knex | Knex.Transaction = db) {
    const link = await links.findById(connectionKey, type, id, trx)
    if (!link) throw notFound(type, id)
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
    return values.map((id) => ({ id, type: types.get(id) as ResourceType }))
  }

  function conflict(type: ResourceType, resource: ScimResource) {
    return type === 'User'
      ? uniqueness(`A user with userName ${JSON.stringify(resource.userName)} already exists`)
      : uniqueness(
          `A group with displayName ${JSON.stringify(resource.displayName)} already exists`,
        )
  }

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
          const resolved = await resolveMembers([...new Set(change.values)], trx)
          await members.removeAll(connectionKey, link.id, trx)
          await members.add(connectionKey, link.id, resolved, trx)
          break
        }
      }
    }
  }

  /**
   * Reads, changes and writes a resource under its version; a concurrent writer makes it
   * start again (or fail with 412 when the client pinned a version with If-Match).
   */
  async function update(
    type: ResourceType,
    id: string,
    ctx: RequestContext,
    change: (link: Link) => { view: ScimResource; memberChanges: readonly MemberChange[] },
  ): Promise<ScimResource> {
    for (let attempt = 0; ; attempt++) {
      const link = await load(type, id)
      checkIfMatch(link.version, ctx.ifMatch)
      const { view, memberChanges } = change(link)
      try {
        const updated = await db.transaction(async (trx) => {
          const viewChanged = JSON.stringify(view) !== JSON.stringify(link.scim)
          const written = viewChanged
            ? await links.updateView(link, view, now(), trx)
            : memberChanges.length > 0
              ? await links.touch(link, now(), trx)
              : link
          if (written) await applyMemberChanges(written, memberChanges, trx)
          return written
        })
        if (updated) return represent(updated, ctx)
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(type, view)
        throw err
      }
      if (ctx.ifMatch !== undefined || attempt >= MAX_VERSION_RETRIES) {
        throw preconditionFailed(`${type} ${id} was changed by another request; read it again`)
      }
    }
  }

  return {
    resourceTypes: ['User', 'Group'],

    async create(type, resource, ctx) {
      validator.validate(type, resource, 'create')
      const view = toScimView(resource)
      const at = now()
      const link: Link = {
        connectionKey,
        resourceType: type,
        id: randomUUID(),
        nativeId: null,
        ...keysOf(view),
        state: 'active',
        scim: view,
        version: 1,
        createdAt: at,
        updatedAt: at,
      }
      try {
        await db.transaction(async (trx) => {
          await links.insert(link, trx)
          if (type === 'Group') {
            await members.add(
              connectionKey,
              link.id,
              await resolveMembers(memberValues(resource), trx),
              trx,
            )
          }
        })
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(type, resource)
        throw err
      }
      return represent(link, ctx)
    },

    async get(type, id, ctx) {
      return represent(await load(type, id), ctx)
    },

    async replace(type, id, resource, ctx) {
      validator.validate(type, resource, 'replace')
      const values = memberValues(resource)
      // RFC 7644 §3.5.1: PUT replaces the whole resource, members included.
      return update(type, id, ctx, () => ({
        view: toScimView(resource),
        memberChanges: type === 'Group' ? [{ kind: 'replace', values }] : [],
      }))
    },

    async patch(type, id, operations: readonly PatchOperation[], ctx) {
      const { memberChanges, otherOperations } =
        type === 'Group'
          ? splitMemberOperations(operations)
          : { memberChanges: [], otherOperations: operations }
      return update(type, id, ctx, (link) => {
        const current = toScimResource(link)
        const patched =
          otherOperations.length > 0 ? applyPatch(type, current, otherOperations) : current
        validator.validate(type, patched, 'replace')
        return { view: toScimView(patched), memberChanges }
      })
    },

    async delete(type, id, ctx) {
      const link = await load(type, id)
      checkIfMatch(link.version, ctx.ifMatch)
      await db.transaction(async (trx) => {
        await links.remove(connectionKey, type, id, trx)
        await members.removeMemberEverywhere(connectionKey, id, trx)
        if (type === 'Group') await members.removeAll(connectionKey, id, trx)
      })
    },

    list: (type, query, ctx) => reads.list(type, query, ctx),
  }
}
