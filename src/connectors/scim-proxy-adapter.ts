import { badGateway } from '../scim/errors.ts'
import { PATCH_OP_SCHEMA, USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from '../scim/schemas.ts'
import type { JsonValue, ScimResource } from '../scim/types.ts'
import type { Link } from '../store/links.ts'
import { changedAttributes, type ProductAdapter, type ProductUser } from './product-adapter.ts'
import type { ConnectorProfile } from './profile.ts'
import { UpstreamFailure } from './upstream-errors.ts'
import { requireSuccess, type UpstreamCall, type UpstreamClient } from './upstream-client.ts'

export interface ScimProxyAdapterOptions {
  profile: ConnectorProfile
  client: UpstreamClient
  describeError: (body: unknown) => string | undefined
}

/** The SCIM body sent upstream: the view with its schemas; `password` is never in a view. */
function toUpstream(view: ScimResource): ScimResource {
  const schemas =
    ENTERPRISE_USER_SCHEMA in view ? [USER_SCHEMA, ENTERPRISE_USER_SCHEMA] : [USER_SCHEMA]
  return { schemas, ...view }
}

function idOf(body: unknown, product: string): string {
  const id = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new UpstreamFailure(badGateway(`${product} answered without the user's id`), false)
  }
  return String(id)
}

/**
 * Products that speak SCIM themselves: requests go to their SCIM endpoint, already checked
 * against the rules; the product's ids are kept as the gateway's ids.
 */
export function createScimProxyAdapter(options: ScimProxyAdapterOptions): ProductAdapter {
  const { profile, client } = options
  const scim: NonNullable<ConnectorProfile['scim']> =
    profile.scim ??
    (() => {
      throw new Error(`profile ${profile.name} has no scim section`)
    })()
  const users = `${scim.path}/Users`

  async function post(view: ScimResource, calls: UpstreamCall[]): Promise<ProductUser> {
    const response = await client.send(
      { method: 'POST', path: users, body: toUpstream(view), idempotent: false },
      calls,
    )
    // Some products answer a create with 200 (Infisical); any 2xx the profile names is a create.
    if (!scim.createdStatus.includes(response.status))
      requireSuccess(client, response, options.describeError, 'user')
    if (response.status >= 300) requireSuccess(client, response, options.describeError, 'user')
    const id = idOf(response.body, profile.product)
    return { nativeId: id, id }
  }

  async function patch(
    link: Link,
    operations: { op: string; path: string; value?: JsonValue }[],
    calls: UpstreamCall[],
  ) {
    const response = await client.send(
      {
        method: 'PATCH',
        path: `${users}/${encodeURIComponent(link.nativeId ?? link.id)}`,
        body: { schemas: [PATCH_OP_SCHEMA], Operations: operations },
        idempotent: true,
      },
      calls,
    )
    requireSuccess(client, response, options.describeError, 'user')
  }

  return {
    create: post,

    async findByKey(view, calls) {
      const filter = `userName eq ${JSON.stringify(view.userName)}`
      const response = await client.send(
        { method: 'GET', path: `${users}?filter=${encodeURIComponent(filter)}`, idempotent: true },
        calls,
      )
      requireSuccess(client, response, options.describeError, 'user')
      const resources = (response.body as { Resources?: unknown[] } | undefined)?.Resources
      const first = Array.isArray(resources) ? resources[0] : undefined
      if (first === undefined) return undefined
      const id = idOf(first, profile.product)
      return { nativeId: id, id }
    },

    async update(link, before, after, calls) {
      const changed = changedAttributes(before, after)
      if (changed.length === 0) return []
      const reactivating = before.active === false && after.active === true
      if (reactivating && scim.reactivate === 'post') {
        // Torii: an inactive user is reactivated by POST /Users, not by PUT or PATCH.
        await post(after, calls)
        return []
      }
      if (before.active === false && !reactivating) {
        // The product updates only active users: keep the change, send it on reactivation.
        return changed.map((attribute) => ({ attribute, rule: 'sentOnReactivation' }))
      }
      if (scim.update === 'put') {
        const response = await client.send(
          {
            method: 'PUT',
            path: `${users}/${encodeURIComponent(link.nativeId ?? link.id)}`,
            body: toUpstream({ id: link.nativeId ?? link.id, ...after }),
            idempotent: true,
          },
          calls,
        )
        requireSuccess(client, response, options.describeError, 'user')
        return []
      }
      const keys = new Set(
        changed.map((path) =>
          path.startsWith('urn:')
            ? path.slice(0, path.lastIndexOf(':'))
            : (path.split('.')[0] ?? path),
        ),
      )
      await patch(
        link,
        [...keys].map((key) =>
          after[key] === undefined
            ? { op: 'remove', path: key }
            : { op: 'replace', path: key, value: after[key] },
        ),
        calls,
      )
      return []
    },

    async reactivate(_link, view, calls) {
      return post(view, calls)
    },

    async delete(link, policy, calls) {
      if (policy === 'deactivate') {
        if (link.scim.active !== false)
          await patch(link, [{ op: 'replace', path: 'active', value: false }], calls)
        return
      }
      const response = await client.send(
        {
          method: 'DELETE',
          path: `${users}/${encodeURIComponent(link.nativeId ?? link.id)}`,
          idempotent: true,
        },
        calls,
      )
      if (response.status !== 404) requireSuccess(client, response, options.describeError, 'user')
    },
  }
}
