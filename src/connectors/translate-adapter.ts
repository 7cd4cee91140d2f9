import { badGateway } from '../scim/errors.ts'
import type { ScimResource } from '../scim/types.ts'
import type { Link } from '../store/links.ts'
import { attributesOf, renderBody, renderPath, type RenderContext } from './mapping.ts'
import { changedAttributes, type ProductAdapter, type ProductUser } from './product-adapter.ts'
import {
  readNativeField,
  readNativeList,
  type CompiledRequest,
  type ConnectorProfile,
} from './profile.ts'
import type { LookupListSpec } from './profile-schema.ts'
import type { IgnoredChange } from './rules.ts'
import { UpstreamFailure } from './upstream-errors.ts'
import { requireSuccess, type UpstreamCall, type UpstreamClient } from './upstream-client.ts'

export interface TranslateAdapterOptions {
  profile: ConnectorProfile
  client: UpstreamClient
  settings: Readonly<Record<string, unknown>>
  describeError: (body: unknown) => string | undefined
}

// A lookup never walks more than this many pages (100 users each on Clumio).
const MAX_LOOKUP_PAGES = 1000

function missing(profile: ConnectorProfile, section: string): never {
  throw new Error(`profile ${profile.name} has no ${section} section`)
}

/** Native REST products: every operation is a request template from the profile. */
export function createTranslateAdapter(options: TranslateAdapterOptions): ProductAdapter {
  const { profile, client } = options
  const user: NonNullable<ConnectorProfile['user']> = profile.user ?? missing(profile, 'user')

  const contextOf = (view: ScimResource, link?: Pick<Link, 'nativeId'>): RenderContext => {
    const key = view[user.key]
    return {
      resource: view,
      ...(link?.nativeId ? { id: link.nativeId } : {}),
      ...(typeof key === 'string' ? { key } : {}),
      settings: options.settings,
      maps: profile.maps,
    }
  }

  async function send(
    request: CompiledRequest,
    context: RenderContext,
    calls: UpstreamCall[],
    idempotent: boolean,
    body = request.body ? renderBody(request.body, context) : undefined,
  ) {
    return client.send(
      {
        method: request.method,
        path: renderPath(request.path, context),
        ...(body !== undefined ? { body } : {}),
        idempotent,
      },
      calls,
    )
  }

  function nativeIdOf(body: unknown): string {
    const id = readNativeField(body, user.nativeId)
    if (id === undefined)
      throw new UpstreamFailure(
        badGateway(`${profile.product} answered without the user's id`),
        false,
      )
    return id
  }

  async function create(view: ScimResource, calls: UpstreamCall[]): Promise<ProductUser> {
    const response = await send(user.create, contextOf(view), calls, false)
    requireSuccess(client, response, options.describeError, 'user')
    const created = { nativeId: nativeIdOf(response.body) }
    // A product's new user is active: an IdP creating an inactive one gets it deactivated.
    if (view.active === false) {
      await update({ nativeId: created.nativeId }, { ...view, active: true }, view, calls)
    }
    return created
  }

  const sentOnCreate = new Set([
    ...Object.values(user.create.body ?? {}).flatMap(attributesOf),
    ...user.updatable,
  ])

  async function update(
    link: Pick<Link, 'nativeId'>,
    before: ScimResource,
    after: ScimResource,
    calls: UpstreamCall[],
  ): Promise<IgnoredChange[]> {
    const old = user.update.body ? renderBody(user.update.body, contextOf(before, link)) : {}
    const next = user.update.body ? renderBody(user.update.body, contextOf(after, link)) : {}
    // Only what changed is sent; a PATCH of the same values is safe to retry.
    const changed = Object.fromEntries(
      Object.entries(next).filter(([k, v]) => JSON.stringify(old[k]) !== JSON.stringify(v)),
    )
    if (Object.keys(changed).length > 0) {
      const response = await send(user.update, contextOf(after, link), calls, true, changed)
      requireSuccess(client, response, options.describeError, 'user')
    }
    return changedAttributes(before, after)
      .filter(
        (path) =>
          !user.updatable.has(path) &&
          !profile.rules.rules.some((r) => r.path === path && r.writeOnCreateOnly),
      )
      .map((attribute) => ({ attribute, rule: 'notSentByConnector' }))
  }

  /**
   * A product without a lookup by key (Clumio has no email filter): pages through its list
   * and compares the key, case-insensitively as products store emails.
   */
  async function findInList(
    spec: LookupListSpec,
    view: ScimResource,
    calls: UpstreamCall[],
  ): Promise<ProductUser | undefined> {
    const value = view[user.key]
    const key = typeof value === 'string' ? value.toLowerCase() : ''
    const context = contextOf(view)
    const base = renderPath(user.lookup.path, context)
    const items = spec.items.split('.')
    const field = spec.field.split('.')
    for (let page = 1, pages = 1; page <= Math.min(pages, MAX_LOOKUP_PAGES); page++) {
      const path = `${base}${base.includes('?') ? '&' : '?'}${spec.pageParam}=${page}`
      const response = await client.send(
        { method: user.lookup.method, path, idempotent: true },
        calls,
      )
      requireSuccess(client, response, options.describeError, 'user')
      const found = readNativeList(response.body, items).find(
        (item) => readNativeField(item, field)?.toLowerCase() === key,
      )
      if (found) return { nativeId: nativeIdOf(found) }
      pages = Number(readNativeField(response.body, spec.totalPages.split('.')) ?? 1)
    }
    return undefined
  }

  return {
    create,
    update,

    ignoredOnCreate: (view) =>
      changedAttributes({}, view)
        .filter((path) => !sentOnCreate.has(path))
        .map((attribute) => ({ attribute, rule: 'notSentByConnector' })),

    async findByKey(view, calls) {
      if (user.lookupList) return findInList(user.lookupList, view, calls)
      const response = await send(user.lookup, contextOf(view), calls, true)
      if (response.status === 404) return undefined
      requireSuccess(client, response, options.describeError, 'user')
      return { nativeId: nativeIdOf(response.body) }
    },

    async reactivate(link, view, calls) {
      if (user.reactivate === 'create') return create(view, calls)
      // A revived user is active unless the IdP says otherwise (SCIM's default).
      await update(link, { ...link.scim, active: false }, { active: true, ...view }, calls)
      return { nativeId: link.nativeId ?? '' }
    },

    async delete(link, policy, calls) {
      if (policy === 'deactivate') {
        await update(link, link.scim, { ...link.scim, active: false }, calls)
        return
      }
      const request = user.delete[policy]
      if (!request) throw new Error(`profile ${profile.name} has no ${policy} request`)
      const response = await send(request, contextOf(link.scim, link), calls, true)
      // Already gone in the product is what a delete wants.
      if (response.status !== 404) requireSuccess(client, response, options.describeError, 'user')
    },
  }
}
