import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { wantsAttribute } from '../scim/attributes.ts'
import { notFound, preconditionFailed, uniqueness, endpointNotFound } from '../scim/errors.ts'
import { matchesFilter } from '../scim/filter-match.ts'
import type { FilterNode } from '../scim/filter.ts'
import { applyPatch, splitMemberOperations, type MemberChange } from '../scim/patch.ts'
import { sortResources } from '../scim/sort.ts'
import type {
  ListQuery,
  ListResult,
  PatchOperation,
  RequestContext,
  ResourceService,
  ResourceType,
  ScimResource,
} from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'
import type { ResourceValidator } from '../scim/validate.ts'
import { isUniqueViolation } from '../store/database.ts'
import { compileFilter } from '../store/filter-sql.ts'
import type { GroupMemberStore, Member } from '../store/group-members.ts'
import { keysOf, sortableColumns, type Link, type LinkStore } from '../store/links.ts'
import { toEtag, toScimResource, toScimView } from './scim-view.ts'

export interface DirectoryServiceOptions {
  connectionKey: string
  db: Knex
  links: LinkStore
  members: GroupMemberStore
  validator: ResourceValidator
  now: () => Date
}

const MAX_VERSION_RETRIES = 5

/** RFC 7644 §3.14: `*` or the current ETag, compared without the weak marker. */
function checkIfMatch(link: Link, ifMatch: string | undefined) {
  if (ifMatch === undefined) return
  const current = toEtag(link.version).replace(/^W\//, '')
  const accepted = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, ''))
  if (!accepted.includes('*') && !accepted.includes(current)) {
    throw preconditionFailed(
      `If-Match ${ifMatch} does not match the current version ${toEtag(link.version)}`,
    )
  }
}

/** Member values named in a request, deduplicated, in request order. */
function memberValues(resource: ScimResource): string[] {
  const members = resource.members
  if (!Array.isArray(members)) return []
  const values = members.flatMap((m) =>
    isJsonObject(m) && typeof m.value === 'string' ? [m.value] : [],
  )
  return [...new Set(values)]
}

function filterMentions(filter: FilterNode, attribute: string): boolean {
  switch (filter.op) {
    case 'and':
    case 'or':
      return filter.filters.some((f) => filterMentions(f, attribute))
    case 'not':
      return filterMentions(filter.filter, attribute)
    default:
      return filter.attrPath === attribute || filter.attrPath.startsWith(`${attribute}.`)
  }
}

/**
 * The `directory` connector: the gateway itself is the store. Users and groups live in the
 * link store; group memberships are rows.
 */
export function createDirectoryService(options: DirectoryServiceOptions): ResourceService {
  const { connectionKey, db, links, members, validator } = options
  const now = () => options.now().toISOString()

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

  async function represent(link: Link, ctx: RequestContext): Promise<ScimResource> {
    const extras: { members?: Member[]; groups?: Member[] } = {}
    if (link.resourceType === 'Group' && wantsAttribute('Group', ctx.projection, 'members')) {
      extras.members = await members.membersOf(connectionKey, [link.id])
    }
    if (link.resourceType === 'User' && wantsAttribute('User', ctx.projection, 'groups')) {
      extras.groups = await members.groupsOf(connectionKey, [link.id])
    }
    return toScimResource(link, extras)
  }

  /** One query for the members or groups of a whole page, never one per resource. */
  async function representAll(
    type: ResourceType,
    page: readonly Link[],
    ctx: RequestContext,
    force = false,
  ): Promise<ScimResource[]> {
    const ids = page.map((l) => l.id)
    const wanted =
      force || wantsAttribute(type, ctx.projection, type === 'Group' ? 'members' : 'groups')
    const related =
      !wanted || ids.length === 0
        ? []
        : type === 'Group'
          ? await members.membersOf(connectionKey, ids)
          : await members.groupsOf(connectionKey, ids)
    const byId = new Map<string, Member[]>()
    for (const m of related) {
      const key = type === 'Group' ? m.groupId : m.memberId
      byId.set(key, [...(byId.get(key) ?? []), m])
    }
    return page.map((link) => {
      if (!wanted) return toScimResource(link)
      const list = byId.get(link.id) ?? []
      return toScimResource(link, type === 'Group' ? { members: list } : { groups: list })
    })
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
      checkIfMatch(link, ctx.ifMatch)
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
      checkIfMatch(link, ctx.ifMatch)
      await db.transaction(async (trx) => {
        await links.remove(connectionKey, type, id, trx)
        await members.removeMemberEverywhere(connectionKey, id, trx)
        if (type === 'Group') await members.removeAll(connectionKey, id, trx)
      })
    },

    async list(type, query: ListQuery, ctx): Promise<ListResult> {
      const compiled = query.filter
        ? compileFilter(type, query.filter)
        : { condition: undefined, exact: true }
      const column = query.sortBy === undefined ? undefined : sortableColumns[query.sortBy]
      const direction = query.sortOrder === 'descending' ? 'desc' : 'asc'
      const offset = query.startIndex - 1
      if (compiled.exact && (query.sortBy === undefined || column !== undefined)) {
        const totalResults = await links.count(connectionKey, type, compiled.condition)
        if (query.count === 0) return { totalResults, resources: [] }
        const page = await links.list(connectionKey, type, {
          ...(compiled.condition ? { where: compiled.condition } : {}),
          ...(column ? { orderBy: { column, direction } } : {}),
          limit: query.count,
          offset,
        })
        return { totalResults, resources: await representAll(type, page, ctx) }
      }
      // The filter needs the schema-aware predicate: narrow in SQL, decide in memory.
      const candidates = await links.list(connectionKey, type, {
        ...(compiled.condition ? { where: compiled.condition } : {}),
      })
      // Members or groups are rows of their own: load them when the filter or the sort reads them.
      const related = type === 'Group' ? 'members' : 'groups'
      const needsRelated =
        (query.filter !== undefined && filterMentions(query.filter, related)) ||
        query.sortBy === related ||
        query.sortBy?.startsWith(`${related}.`) === true
      let matched = (await representAll(type, candidates, ctx, needsRelated)).filter(
        (r) => query.filter === undefined || matchesFilter(type, query.filter, r),
      )
      if (query.sortBy !== undefined)
        matched = sortResources(type, matched, query.sortBy, query.sortOrder)
      return {
        totalResults: matched.length,
        resources: matched.slice(offset, offset + query.count),
      }
    },
  }
}
