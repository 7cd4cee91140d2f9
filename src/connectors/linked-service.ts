import { randomUUID } from 'node:crypto'
import { endpointNotFound, notFound, preconditionFailed, uniqueness } from '../scim/errors.ts'
import { applyPatch } from '../scim/patch.ts'
import type { RequestContext, ResourceService, ResourceType, ScimResource } from '../scim/types.ts'
import type { ResourceValidator } from '../scim/validate.ts'
import { isUniqueViolation } from '../store/database.ts'
import type { LinkClaims } from '../store/link-claims.ts'
import { keysOf, newLink, type Link, type LinkStore } from '../store/links.ts'
import { reconcileClaim } from './claim-reconciliation.ts'
import type { LinkReads } from './link-reads.ts'
import type { ProductAdapter, ProductUser } from './product-adapter.ts'
import type { DeletePolicy } from './profile.ts'
import { applyCreateRules, applyUpdateRules, type RuleSet } from './rules.ts'
import { checkIfMatch, toScimResource, toScimView } from './scim-view.ts'
import { createUpstreamStep, UpstreamFailure } from './upstream-errors.ts'

export interface LinkedServiceOptions {
  connectionKey: string
  resourceTypes: readonly ResourceType[]
  rules: RuleSet
  settings: Readonly<Record<string, unknown>>
  deletePolicy: DeletePolicy
  adapter: ProductAdapter
  links: LinkStore
  claims: LinkClaims
  reads: LinkReads
  validator: ResourceValidator
  /** How long a pending claim is presumed to be a create still in flight. */
  claimTtlMs: number
  onMisconfigured: (reason: string) => void
  onHealthy: () => void
  /** A create's outcome was lost; its claim is left pending for reconciliation. */
  onUnknownOutcome: (linkId: string, requestId: string) => void
  /** What the product says of every new user beyond SCIM (e.g. `invited`), kept with its link. */
  initialProductState?: string
  now: () => Date
}

const MAX_ATTEMPTS = 5

const DELETE_OUTCOMES: Record<DeletePolicy, string> = {
  deactivate: 'deactivated',
  remove: 'removed',
  hard: 'deleted',
}

/**
 * A ResourceService for connections to products (translate and proxy modes): validation,
 * product rules, the claim protocol and the link store here; the product's API in the adapter.
 */
export function createLinkedService(options: LinkedServiceOptions): ResourceService {
  const { connectionKey, adapter, claims, links, reads, rules, settings, validator } = options
  const now = () => options.now().toISOString()

  /** Runs an upstream step; a product failure becomes its SCIM error, after bookkeeping. */
  const upstream = createUpstreamStep(options.onMisconfigured, options.onHealthy)

  const exists = (userName: unknown) =>
    uniqueness(`A user with userName ${JSON.stringify(userName)} already exists`)

  /**
   * Links a user the product already has (made outside the gateway, or by a create whose
   * answer was lost), then makes it look as the IdP wants. A definite failure releases the
   * claim, so the IdP's retry is not held back.
   */
  async function adopt(
    link: Link,
    found: ProductUser,
    view: ScimResource,
    revived: boolean,
    ctx: RequestContext,
  ): Promise<ScimResource> {
    const calls = ctx.trace.upstream
    try {
      const notSent = await adapter.update({ ...link, nativeId: found.nativeId }, {}, view, calls)
      ctx.trace.ignored.push(...notSent)
    } catch (err) {
      if (err instanceof UpstreamFailure) {
        if (err.misconfigured) options.onMisconfigured(err.scimError.detail)
        if (err.definite) await claims.release(link, revived, now())
        throw err.scimError
      }
      throw err
    }
    return confirm(link, found, view, ctx)
  }

  async function confirm(link: Link, found: ProductUser, view: ScimResource, ctx: RequestContext) {
    const confirmed = await claims.confirm(
      link,
      found.nativeId,
      view,
      now(),
      found.id ?? link.id,
      options.initialProductState,
    )
    ctx.trace.resourceId = confirmed.id
    if (options.initialProductState) ctx.trace.outcome = options.initialProductState
    return reads.represent(confirmed, ctx)
  }

  /** Calls the product for a claimed link and confirms it; a product 409 adopts the product's user. */
  async function complete(
    link: Link,
    view: ScimResource,
    revived: boolean,
    ctx: RequestContext,
  ): Promise<ScimResource> {
    const calls = ctx.trace.upstream
    let found: ProductUser
    try {
      found = revived
        ? await adapter.reactivate(link, view, calls)
        : await adapter.create(view, calls)
      options.onHealthy()
    } catch (err) {
      // Anything but a product answer (a bug, the database) leaves the claim pending, to be
      // reconciled by the product's key before anything is created again.
      if (!(err instanceof UpstreamFailure)) throw err
      if (err.misconfigured) options.onMisconfigured(err.scimError.detail)
      if (err.scimError.status !== 409) {
        // An unknown outcome ends the claim's time in flight at once: the next request for
        // this user reconciles it instead of waiting for the claim to age.
        if (err.definite) await claims.release(link, revived, now())
        else {
          await claims.abandon(link)
          options.onUnknownOutcome(link.id, ctx.requestId)
        }
        throw err.scimError
      }
      const existing = await upstream(() => adapter.findByKey(view, calls))
      if (!existing) {
        await claims.release(link, revived, now())
        throw err.scimError
      }
      return adopt(link, existing, view, revived, ctx)
    }
    ctx.trace.ignored.push(...(adapter.ignoredOnCreate?.(view) ?? []))
    return confirm(link, found, view, ctx)
  }

  /**
   * A pending link found by an update or a delete: a create in flight (409), or one whose
   * outcome was never learned, settled now by the product's key. Returns the active link, or
   * undefined when the product never got the user (the claim is then released).
   */
  async function settle(link: Link, ctx: RequestContext): Promise<Link | undefined> {
    if (link.state === 'active') return link
    if (Date.now() - Date.parse(link.updatedAt) < options.claimTtlMs) {
      throw uniqueness(`User ${link.id} is still being created; try again shortly`)
    }
    return upstream(() =>
      reconcileClaim(link, adapter, claims, ctx.trace.upstream, now(), options.initialProductState),
    )
  }

  async function create(resource: ScimResource, ctx: RequestContext): Promise<ScimResource> {
    validator.validate('User', resource, 'create')
    const view = toScimView(applyCreateRules(rules, resource, settings))
    const userName = typeof view.userName === 'string' ? view.userName : ''
    ctx.trace.subject = userName
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { live, tombstoned } = await claims.findByUserName(connectionKey, 'User', userName)
      if (live?.state === 'active') throw exists(userName)
      if (live) {
        // A pending claim: a create in flight, or one whose outcome was never learned.
        if (Date.now() - Date.parse(live.updatedAt) < options.claimTtlMs) {
          throw uniqueness(
            `A create for userName ${JSON.stringify(userName)} is already in progress`,
          )
        }
        // Its outcome was never learned: ask the product by its key before creating again.
        // If the lost create landed, this create is its retry: link it and answer as created.
        const taken = await claims.renew(live, now())
        if (!taken) continue
        const landed = await upstream(() => adapter.findByKey(view, ctx.trace.upstream))
        if (landed) return adopt(taken, landed, view, false, ctx)
        return complete(taken, view, false, ctx)
      }
      const at = now()
      if (tombstoned) {
        if (!(await claims.reclaim(tombstoned, view, at))) continue
        return complete(
          {
            ...tombstoned,
            state: 'pending',
            scim: view,
            ...keysOf(view),
            version: tombstoned.version + 1,
            updatedAt: at,
          },
          view,
          true,
          ctx,
        )
      }
      const link = newLink(
        {
          connectionKey,
          resourceType: 'User',
          id: randomUUID(),
          nativeId: null,
          state: 'pending',
          scim: view,
        },
        at,
      )
      try {
        await claims.claim(link)
      } catch (err) {
        if (isUniqueViolation(err)) continue
        throw err
      }
      return complete(link, view, false, ctx)
    }
    throw exists(userName)
  }

  async function update(
    id: string,
    ctx: RequestContext,
    change: (link: Link) => ScimResource,
  ): Promise<ScimResource> {
    for (let attempt = 0; ; attempt++) {
      const link = await settle(await reads.load('User', id), ctx)
      if (!link) throw notFound('User', id)
      checkIfMatch(link.version, ctx.ifMatch)
      ctx.trace.subject = link.userName ?? undefined
      const changed = change(link)
      validator.validate('User', changed, 'replace')
      const { resource, ignored } = applyUpdateRules(
        rules,
        link.scim,
        toScimView(changed),
        settings,
      )
      const view = toScimView(resource)
      if (JSON.stringify(view) === JSON.stringify(link.scim)) return reads.represent(link, ctx)
      // Write-on-create-only attributes keep their old value in what is sent.
      const sent = { ...view }
      for (const rule of rules.rules) {
        if (rule.writeOnCreateOnly && rule.keys.length > 0) restore(sent, link.scim, rule.keys)
      }
      const notSent = await upstream(() =>
        adapter.update(link, link.scim, sent, ctx.trace.upstream),
      )
      ctx.trace.ignored.push(...ignored, ...notSent)
      const written = await links.updateView(link, view, now())
      if (written) return reads.represent(written, ctx)
      if (ctx.ifMatch !== undefined || attempt >= MAX_ATTEMPTS) {
        throw preconditionFailed(`User ${id} was changed by another request; read it again`)
      }
    }
  }

  return {
    resourceTypes: options.resourceTypes,

    async create(type, resource, ctx) {
      if (type !== 'User') throw endpointNotFound(`${type}s are not supported by this connection`)
      return create(resource, ctx)
    },

    get: (type, id, ctx) => reads.load(type, id).then((link) => reads.represent(link, ctx)),

    list: (type, query, ctx) => reads.list(type, query, ctx),

    async replace(_type, id, resource, ctx) {
      return update(id, ctx, () => resource)
    },

    async patch(_type, id, operations, ctx) {
      return update(id, ctx, (link) => applyPatch('User', toScimResource(link), operations))
    },

    async delete(type, id, ctx) {
      const loaded = await reads.load(type, id)
      checkIfMatch(loaded.version, ctx.ifMatch)
      ctx.trace.subject = loaded.userName ?? undefined
      // A claim whose create never reached the product is simply gone once released.
      const link = await settle(loaded, ctx)
      if (link) {
        await upstream(() => adapter.delete(link, options.deletePolicy, ctx.trace.upstream))
        await claims.tombstone(link, now())
      }
      // The IdP sees the resource gone (204) whatever the product did with it.
      ctx.trace.outcome = DELETE_OUTCOMES[options.deletePolicy]
    },
  }
}

function restore(target: ScimResource, source: ScimResource, keys: readonly string[]) {
  const [head, ...rest] = keys
  if (head === undefined) return
  if (rest.length === 0) {
    if (source[head] === undefined) delete target[head]
    else target[head] = source[head]
    return
  }
  const from = source[head]
  const into = target[head]
  if (typeof from !== 'object' || from === null || Array.isArray(from)) return
  const copy = typeof into === 'object' && into !== null && !Array.isArray(into) ? { ...into } : {}
  target[head] = copy
  restore(copy, from, rest)
}
