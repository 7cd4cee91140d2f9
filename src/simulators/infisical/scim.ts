import type { Request, Response } from 'express'
import { SCIM_BASE_PATH } from './errors.ts'
import type { StoredGroup } from './groups.ts'
import type { Member } from './members.ts'

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group'
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

export function readOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`
}

/** Infisical answers SCIM with `application/json` and 200 for every success, creates included. */
export function sendScim(res: Response, body: unknown): void {
  res.status(200).json(body)
}

export function displayNameOf(member: Member): string {
  return `${member.user.firstName} ${member.user.lastName}`
}

/** Fields a response may show other than stored (PUT echoes the old email, PATCH the userName). */
export interface ScimUserOverrides {
  userName?: string
  email?: string
}

/** A membership as a SCIM User: the id is the membership's, userName the alias. */
export function toScimUser(member: Member, origin: string, overrides: ScimUserOverrides = {}) {
  const { user, membership } = member
  return {
    schemas: [USER_SCHEMA],
    id: membership.id,
    userName: overrides.userName ?? membership.externalId ?? user.username,
    displayName: displayNameOf(member),
    name: { givenName: user.firstName, familyName: user.lastName, middleName: null },
    emails: [{ primary: true, value: overrides.email ?? user.email, type: 'work' }],
    active: membership.isActive,
    groups: [],
    meta: {
      resourceType: 'User',
      created: member.created,
      lastModified: member.lastModified,
      location: `${origin}${SCIM_BASE_PATH}/Users/${membership.id}`,
    },
  }
}

export function toScimGroup(
  group: StoredGroup,
  findMember: (id: string) => Member | undefined,
  origin: string,
) {
  const members = group.members.flatMap((id) => {
    const member = findMember(id)
    return member ? [{ value: id, display: displayNameOf(member) }] : []
  })
  return {
    schemas: [GROUP_SCHEMA],
    id: group.id,
    displayName: group.displayName,
    members,
    meta: {
      resourceType: 'Group',
      created: group.created,
      lastModified: group.lastModified,
      location: `${origin}${SCIM_BASE_PATH}/Groups/${group.id}`,
    },
  }
}

/**
 * Infisical's ListResponse: `totalResults` counts this page only and `itemsPerPage` echoes the
 * requested `count`, so neither tells how many there are in all.
 */
export function toListResponse(resources: unknown[], startIndex: number, count: number) {
  return {
    schemas: [LIST_SCHEMA],
    Resources: resources,
    itemsPerPage: count,
    startIndex,
    totalResults: resources.length,
  }
}
