import { randomUUID } from 'node:crypto'
import type { ConnectionConfig } from '../config/tenant-config.ts'
import { isJsonObject } from '../scim/types.ts'
import type { LinkClaims } from '../store/link-claims.ts'
import type { LinkStore } from '../store/links.ts'
import { claimTtlOf, reconcileClaim } from './claim-reconciliation.ts'
import { PermanentJobError, type JobResult } from './job-results.ts'
import type { ProductAdapter } from './product-adapter.ts'
import { credentialExpiries, type ConnectorProfile } from './profile.ts'
import { requireSuccess, type UpstreamCall, type UpstreamClient } from './upstream-client.ts'
import { UpstreamFailure } from './upstream-errors.ts'

export { PermanentJobError, type JobResult } from './job-results.ts'

export type JobKind =
  | 'native-update'
  | 'reconcile-claim'
  | 'credential-expiry'
  | 'drift-check'
  | 'access-sync'
  | 'invitation-check'
  | 'group-push'

export interface ConnectionJobs {
  run(kind: string, payload: Record<string, unknown>, calls: UpstreamCall[]): Promise<JobResult>
  /**
   * Proves the product answers the gateway's credential (`connector test`): resolves when a
   * lookup of a key that cannot exist finds nothing, throws on anything else.
   */
  probe?: (calls: UpstreamCall[]) => Promise<void>
}

const METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const DRIFT_SAMPLE = 20

export interface ConnectionJobsOptions {
  key: string
  connection: ConnectionConfig
  profile: ConnectorProfile
  client: UpstreamClient
  adapter: ProductAdapter
  links: LinkStore
  claims: LinkClaims
  describeError: (body: unknown) => string | undefined
  /** What the product says of every new user beyond SCIM (e.g. `invited`). */
  initialProductState?: string
  /** A job found the product refusing the gateway's credential or set up wrongly. */
  onMisconfigured: (reason: string) => void
  /** Applies the access rules to one user (connections whose groups grant roles). */
  accessSync?: {
    run: (payload: Record<string, unknown>, calls: UpstreamCall[]) => Promise<JobResult>
    checkSetup: (calls: UpstreamCall[]) => Promise<void>
  }
  /** Sends a product-held group's stored state again. */
  groupPush?: (payload: Record<string, unknown>, calls: UpstreamCall[]) => Promise<JobResult>
  /** Clears invited users that finished account setup (with a membership read credential). */
  invitationCheck?: (calls: UpstreamCall[]) => Promise<JobResult>
  now: () => Date
}

/**
 * The outbox kinds a product connection runs. Each is idempotent: running a job twice (after
 * a worker died mid-job) does no harm.
 */
export function createConnectionJobs(options: ConnectionJobsOptions): ConnectionJobs {
  const { key, client, adapter, links, claims, profile } = options

  async function nativeUpdate(
    payload: Record<string, unknown>,
    calls: UpstreamCall[],
  ): Promise<JobResult> {
    const { method, path, body } = payload
    if (
      typeof method !== 'string' ||
      !METHODS.has(method) ||
      typeof path !== 'string' ||
      !path.startsWith('/')
    ) {
      throw new PermanentJobError(
        'payload needs a method (POST, PUT, PATCH, DELETE) and a path starting with /',
      )
    }
    const response = await client.send(
      { method, path, ...(body !== undefined ? { body } : {}), idempotent: true },
      calls,
    )
    // The resource is gone from the product: the update no longer applies.
    if (response.status === 404)
      return { outcome: 'skipped', note: `${profile.product} has no such resource any more` }
    requireSuccess(client, response, options.describeError, 'resource')
    return { outcome: 'done' }
  }

  async function reconcile(
    payload: Record<string, unknown>,
    calls: UpstreamCall[],
  ): Promise<JobResult> {
    if (typeof payload.id !== 'string')
      throw new PermanentJobError('payload needs the id of the link')
    const link = await links.findById(key, 'User', payload.id)
    if (!link || link.state !== 'pending')
      return { outcome: 'skipped', note: 'the claim was settled meanwhile' }
    // A claim touched recently is a create in flight (or its retry): it settles itself.
    if (options.now().getTime() - Date.parse(link.updatedAt) < claimTtlOf(profile)) {
      return { outcome: 'skipped', note: 'the create is in flight' }
    }
    const settled = await reconcileClaim(
      link,
      adapter,
      claims,
      calls,
      options.now().toISOString(),
      options.initialProductState,
    )
    return {
      outcome: 'done',
      note: settled
        ? `linked to ${profile.product} user ${settled.nativeId}`
        : 'released: the product never got the user',
    }
  }

  function credentialExpiry(): JobResult {
    const notes = credentialExpiries(profile, options.connection.settings, options.now()).map(
      ({ setting, date, days }) =>
        days < 0 ? `${setting} expired on ${date}` : `${setting} expires in ${days} days (${date})`,
    )
    return { outcome: 'done', note: notes.join('; ') || 'no credential expiry configured' }
  }

  async function driftCheck(calls: UpstreamCall[]): Promise<JobResult> {
    const sample = await links.list(key, 'User', {
      where: (q) => void q.where('state', 'active'),
      limit: DRIFT_SAMPLE,
    })
    const missing: string[] = []
    for (const link of sample) {
      if (!(await adapter.findByKey(link.scim, calls))) missing.push(link.userName ?? link.id)
    }
    return {
      outcome: 'done',
      note:
        missing.length === 0
          ? `${sample.length} users compared, none differ`
          : `${missing.length} of ${sample.length} users are missing in ${profile.product}: ${missing.slice(0, 10).join(', ')}`,
    }
  }

  return {
    async probe(calls) {
      // Reads come from the link store, so only a product call shows whether our credential
      // works. `.invalid` is reserved (RFC 2606): no product can hold this user.
      const userName = `${randomUUID()}@selftest.invalid`
      const found = await adapter.findByKey({ userName }, calls)
      if (found) {
        throw new Error(
          `${profile.product} answered a lookup of the non-existent ${userName} with user ${found.nativeId}`,
        )
      }
      await options.accessSync?.checkSetup(calls)
    },

    async run(kind, payload, calls) {
      try {
        return await runKind(kind, payload, calls)
      } catch (err) {
        if (err instanceof UpstreamFailure && err.misconfigured)
          options.onMisconfigured(err.scimError.detail)
        throw err
      }
    },
  }

  async function runKind(
    kind: string,
    payload: Record<string, unknown>,
    calls: UpstreamCall[],
  ): Promise<JobResult> {
    if (!isJsonObject(payload)) throw new PermanentJobError('payload must be an object')
    switch (kind as JobKind) {
      case 'native-update':
        return nativeUpdate(payload, calls)
      case 'reconcile-claim':
        return reconcile(payload, calls)
      case 'credential-expiry':
        return credentialExpiry()
      case 'drift-check':
        return driftCheck(calls)
      case 'access-sync':
        if (!options.accessSync) break
        return options.accessSync.run(payload, calls)
      case 'group-push':
        if (!options.groupPush) break
        return options.groupPush(payload, calls)
      case 'invitation-check':
        if (!options.invitationCheck)
          return { outcome: 'skipped', note: 'the connection has no membership read credential' }
        return options.invitationCheck(calls)
    }
    throw new PermanentJobError(`unknown job kind ${kind}`)
  }
}
