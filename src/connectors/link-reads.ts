import { wantsAttribute } from '../scim/attributes.ts'
import { notFound } from '../scim/errors.ts'
import { matchesFilter } from '../scim/filter-match.ts'
import type { FilterNode } from '../scim/filter.ts'
import { sortResources } from '../scim/sort.ts'
import type {
  ListQuery,
  ListResult,
  RequestContext,
  ResourceType,
  ScimResource,
} from '../scim/types.ts'
import { compileFilter } from '../store/filter-sql.ts'
import type { GroupMemberStore, Member } from '../store/group-members.ts'
import { sortableColumns, type Link, type LinkStore } from '../store/links.ts'
import { toScimResource } from './scim-view.ts'

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
 * Reads answered from the link store, for every mode (DESIGN.md: products that list only
 * active users or miscount cannot mislead the IdP, and lookups stay fast).
 */
export function createLinkReads(
  connectionKey: string,
  links: LinkStore,
  members: GroupMemberStore,
  /** Whether the connection has groups at all; when not, a user's `groups` is always empty. */
  hasGroups = true,
) {
  async function load(type: ResourceType, id: string): Promise<Link> {
    const link = await links.findById(connectionKey, type, id)
    if (!link) throw notFound(type, id)
    return link
  }

  async function represent(link: Link, ctx: RequestContext): Promise<ScimResource> {
    const extras: { members?: Member[]; groups?: Member[] } = {}
    if (link.resourceType === 'Group' && wantsAttribute('Group', ctx.projection, 'members')) {
      extras.members = await members.membersOf(connectionKey, [link.id])
    }
    if (link.resourceType === 'User' && wantsAttribute('User', ctx.projection, 'groups')) {
      extras.groups = hasGroups ? await members.groupsOf(connectionKey, [link.id]) : []
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
      !wanted || ids.length === 0 || (type === 'User' && !hasGroups)
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

  async function list(
    type: ResourceType,
    query: ListQuery,
    ctx: RequestContext,
  ): Promise<ListResult> {
    const compiled = query.filter
      ? compileFilter(type, query.filter)
      : { condition: undefined, exact: true }
    const column = query.sortBy === undefined ? undefined : sortableColumns[query.sortBy]
    const direction = query.sortOrder === 'descending' ? 'desc' : 'asc'
    const offset = query.startIndex - 1
    if (compiled.exact && (query.sortBy === undefined || column !== undefined)) {
      if (compiled.lookup && query.sortBy === undefined && offset === 0 && query.count > 0) {
        const { column, value } = compiled.lookup
        const page = await links.lookup(connectionKey, type, column, value, query.count)
        if (page.length < query.count)
          return { totalResults: page.length, resources: await representAll(type, page, ctx) }
      }
      if (query.count === 0) {
        return {
          totalResults: await links.count(connectionKey, type, compiled.condition),
          resources: [],
        }
      }
      const page = await links.list(connectionKey, type, {
        ...(compiled.condition ? { where: compiled.condition } : {}),
        ...(column ? { orderBy: { column, direction } } : {}),
        limit: query.count,
        offset,
      })
      // A first page that is not full holds every match: no count query (the common lookup).
      const totalResults =
        offset === 0 && page.length < query.count
          ? page.length
          : await links.count(connectionKey, type, compiled.condition)
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
    return { totalResults: matched.length, resources: matched.slice(offset, offset + query.count) }
  }

  return { load, represent, list }
}

export type LinkReads = ReturnType<typeof createLinkReads>
