import { expect } from 'chai'
import { objectOf, type ScimClient, type ScimResponse } from './scim-client.ts'

export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
export const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'

export type Resource = Record<string, unknown>

/** A PatchOp body. */
export const patchOf = (...operations: unknown[]) => ({
  schemas: [PATCH_OP],
  Operations: operations,
})

/** A SearchRequest body. */
export const searchOf = (fields: Record<string, unknown>) => ({
  schemas: [SEARCH_REQUEST],
  ...fields,
})

/** `?filter=...` with the filter URL-encoded. */
export const filterQuery = (filter: string) => `filter=${encodeURIComponent(filter)}`

/** Creates a user (201 expected) and returns its representation. */
export async function createUser(
  scim: ScimClient,
  userName: string,
  extra: Record<string, unknown> = {},
): Promise<Resource> {
  const res = await scim.post('/Users', { schemas: [USER], userName, ...extra })
  expect(res.status, JSON.stringify(res.body)).to.equal(201)
  return objectOf(res)
}

/** Creates a group (201 expected) and returns its representation. */
export async function createGroup(
  scim: ScimClient,
  displayName: string,
  memberIds: readonly string[] = [],
): Promise<Resource> {
  const res = await scim.post('/Groups', {
    schemas: [GROUP],
    displayName,
    members: memberIds.map((value) => ({ value })),
  })
  expect(res.status, JSON.stringify(res.body)).to.equal(201)
  return objectOf(res)
}

/** The `Resources` of a 200 ListResponse. */
export function resourcesOf(res: ScimResponse): Resource[] {
  expect(res.status, JSON.stringify(res.body)).to.equal(200)
  const list = objectOf(res)
  expect(list.schemas).to.deep.equal([LIST_RESPONSE])
  return list.Resources as Resource[]
}

/** The `userName`s of a 200 ListResponse, in order. */
export const userNamesOf = (res: ScimResponse): string[] =>
  resourcesOf(res).map((r) => r.userName as string)

/** `meta` of a resource. */
export const metaOf = (resource: Resource) => resource.meta as Record<string, string>

/** The member ids of a group, sorted. */
export const memberIdsOf = (group: Resource): string[] =>
  ((group.members as { value: string }[] | undefined) ?? []).map((m) => m.value).sort()
