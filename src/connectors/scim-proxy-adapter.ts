import { badGateway } from '../scim/errors.ts'
import { PATCH_OP_SCHEMA, USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from '../scim/schemas.ts'
import type { JsonValue, ScimResource } from '../scim/types.ts'
import type { Link } from '../store/links.ts'
import {
  changedAttributes,
  pickAttributes,
  touchesAttributes,
  type ProductAdapter,
  type ProductUser,
} from './product-adapter.ts'
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
  /** Only what the product holds is ever sent to it. */
  const held = (view: ScimResource) => pickAttributes(view, scim.attributes)
  const notHeld = (paths: readonly string[]) =>
    paths
      .filter((path) => !touchesAttributes(path, scim.attributes))
      .map((attribute) => ({ attribute, rule: 'notSentByConnector' }))

  async function post(view: ScimResource, calls: UpstreamCall[]): Promise<ProductUser> {
    const response = await client.send(
      { method: 'POST', path: users, body: toUpstream(held(view)), idempotent: false },
      calls,
    )
    // Any 2xx is a create: Infisical answers 200 (the IdP still gets 201).
    requireSuccess(client, response, options.describeError, 'user')
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
      const ignored = notHeld(changed)
      const sent = changed.filter((path) => touchesAttributes(path, scim.attributes))
      if (sent.length === 0) return ignored
      // Torii updates only active users and reactivates them with POST /Users.
      const reactivating = before.active === false && after.active === true
      if (scim.reactivate === 'post' && reactivating) {
        await post(after, calls)
        return ignored
      }
      if (scim.reactivate === 'post' && before.active === false) {
        // Kept in the view and sent on reactivation.
        return [...ignored, ...sent.map((attribute) => ({ attribute, rule: 'sentOnReactivation' }))]
      }
      const id = encodeURIComponent(link.nativeId ?? link.id)
      if (scim.update === 'put') {
        const response = await client.send(
          {
            method: 'PUT',
            path: `${users}/${id}`,
            body: toUpstream({ id: link.nativeId ?? link.id, ...held(after) }),
            idempotent: true,
          },
          calls,
        )
        requireSuccess(client, response, options.describeError, 'user')
        return ignored
      }
      // One operation per top-level attribute that changed, with only what the product holds.
      const next = held(after)
      const keys = new Set(
        sent.map((path) =>
          path.startsWith('urn:')
            ? path.slice(0, path.lastIndexOf(':'))
            : (path.split('.')[0] ?? path),
        ),
      )
      await patch(
        link,
        [...keys].map((key) => {
          const value = next[key]
          return value === undefined
            ? { op: 'remove', path: key }
            : { op: 'replace', path: key, value }
        }),
        calls,
      )
      return ignored
    },

    ignoredOnCreate: (view) => notHeld(changedAttributes({}, view)),

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
