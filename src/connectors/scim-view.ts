import { preconditionFailed } from '../scim/errors.ts'
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from '../scim/schemas.ts'
import type { JsonObject, ResourceType, ScimResource } from '../scim/types.ts'
import type { Link } from '../store/links.ts'
import type { Member } from '../store/group-members.ts'

/** Keys that are never part of the stored SCIM view: server-owned, computed, or secret. */
const NOT_IN_VIEW = new Set(['schemas', 'id', 'meta', 'members', 'groups', 'password'])

/**
 * The SCIM view kept in a link: what the IdP set, minus server-owned attributes, member
 * lists (rows of their own) and `password`, which is never stored.
 */
export function toScimView(resource: ScimResource): ScimResource {
  const view: ScimResource = {}
  for (const [key, value] of Object.entries(resource)) {
    if (!NOT_IN_VIEW.has(key)) view[key] = value
  }
  return view
}

/** RFC 7644 §3.14: the version as a weak ETag. */
export function toEtag(version: number): string {
  return `W/"${version}"`
}

/** RFC 7644 §3.14: `If-Match` must be `*` or the current ETag (compared without the weak marker). */
export function checkIfMatch(version: number, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return
  const current = toEtag(version).replace(/^W\//, '')
  const accepted = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, ''))
  if (!accepted.includes('*') && !accepted.includes(current)) {
    throw preconditionFailed(
      `If-Match ${ifMatch} does not match the current version ${toEtag(version)}`,
    )
  }
}

export interface ResourceExtras {
  members?: readonly Member[]
  groups?: readonly Member[]
}

/** The SCIM representation of a link (without `meta.location`, which the HTTP layer adds). */
export function toScimResource(link: Link, extras: ResourceExtras = {}): ScimResource {
  const type: ResourceType = link.resourceType
  const schemas = type === 'Group' ? [GROUP_SCHEMA] : [USER_SCHEMA]
  if (type === 'User' && ENTERPRISE_USER_SCHEMA in link.scim) schemas.push(ENTERPRISE_USER_SCHEMA)
  const resource: ScimResource = { schemas, id: link.id, ...link.scim }
  if (extras.members) {
    resource.members = extras.members.map((m) =>
      withDisplay({ value: m.memberId, type: m.memberType }, m.display),
    )
  }
  if (extras.groups) {
    resource.groups = extras.groups.map((g) =>
      withDisplay({ value: g.groupId, type: 'direct' }, g.display),
    )
  }
  resource.meta = {
    resourceType: type,
    created: link.createdAt,
    lastModified: link.updatedAt,
    version: toEtag(link.version),
  }
  return resource
}

function withDisplay(entry: JsonObject, display: string | null): JsonObject {
  return display === null ? entry : { ...entry, display }
}
