import { badGateway } from '../scim/errors.ts'
import { GROUP_SCHEMA, PATCH_OP_SCHEMA } from '../scim/schemas.ts'
import type { GroupAdapter } from './group-service.ts'
import type { ConnectorProfile } from './profile.ts'
import { UpstreamFailure } from './upstream-errors.ts'
import { requireSuccess, type UpstreamClient } from './upstream-client.ts'

function idOf(body: unknown, product: string): string {
  const id = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined
  if (typeof id !== 'string' && typeof id !== 'number')
    throw new UpstreamFailure(badGateway(`${product} answered without the group's id`), false)
  return String(id)
}

const asMembers = (ids: readonly string[]) => ids.map((value) => ({ value }))

/**
 * Groups of a product that speaks SCIM (Infisical): the gateway's group ids and member ids are
 * the product's own, so bodies go out as they are. A change of members is sent as the whole
 * new set, which is what such products store (Infisical replaces the member set on PATCH).
 */
export function createScimProxyGroups(
  profile: ConnectorProfile,
  client: UpstreamClient,
  describeError: (body: unknown) => string | undefined,
): GroupAdapter {
  const groups = `${profile.scim?.path ?? ''}/Groups`
  const at = (id: string) => `${groups}/${encodeURIComponent(id)}`

  return {
    async create(view, members, calls) {
      const response = await client.send(
        {
          method: 'POST',
          path: groups,
          body: {
            schemas: [GROUP_SCHEMA],
            displayName: view.displayName,
            ...(typeof view.externalId === 'string' ? { externalId: view.externalId } : {}),
            members: asMembers(members),
          },
          idempotent: false,
        },
        calls,
      )
      // Any 2xx is a create: Infisical answers 200.
      requireSuccess(client, response, describeError, 'group')
      return idOf(response.body, profile.product)
    },

    async findByName(displayName, calls) {
      const filter = `displayName eq ${JSON.stringify(displayName)}`
      const response = await client.send(
        { method: 'GET', path: `${groups}?filter=${encodeURIComponent(filter)}`, idempotent: true },
        calls,
      )
      requireSuccess(client, response, describeError, 'group')
      const resources = (response.body as { Resources?: unknown[] } | undefined)?.Resources
      const found = Array.isArray(resources)
        ? resources.find(
            (r) =>
              typeof r === 'object' &&
              r !== null &&
              (r as { displayName?: unknown }).displayName === displayName,
          )
        : undefined
      return found === undefined ? undefined : idOf(found, profile.product)
    },

    async update(nativeId, change, calls) {
      const operations = [
        ...(change.displayName !== undefined
          ? [{ op: 'replace', path: 'displayName', value: change.displayName }]
          : []),
        ...(change.members !== undefined
          ? [{ op: 'replace', path: 'members', value: asMembers(change.members) }]
          : []),
      ]
      if (operations.length === 0) return
      const response = await client.send(
        {
          method: 'PATCH',
          path: at(nativeId),
          body: { schemas: [PATCH_OP_SCHEMA], Operations: operations },
          idempotent: true,
        },
        calls,
      )
      requireSuccess(client, response, describeError, 'group')
    },

    async delete(nativeId, calls) {
      const response = await client.send(
        { method: 'DELETE', path: at(nativeId), idempotent: true },
        calls,
      )
      // Already gone in the product is what a delete wants.
      if (response.status !== 404) requireSuccess(client, response, describeError, 'group')
    },
  }
}
