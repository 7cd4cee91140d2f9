import { randomUUID } from 'node:crypto'
import { ScimError } from '../scim/errors.ts'
import { parseFilter } from '../scim/filter.ts'
import type {
  ListQuery,
  RequestContext,
  RequestTrace,
  ResourceService,
  ScimResource,
} from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'
import { UpstreamFailure } from './upstream-errors.ts'

/** One row of `connector test`. */
export interface SelfTestStep {
  name: string
  ok: boolean
  detail: string
  ms: number
}

export interface SelfTestOptions {
  service: ResourceService
  /**
   * Product connections: asks the product itself (a lookup of a key that cannot exist), since
   * every SCIM read is answered from the link store and would pass with a broken credential.
   */
  probe?: (calls: RequestTrace['upstream']) => Promise<void>
  /** Named in details, e.g. `Tresorit`. */
  product?: string
  /** A throw-away user to create, read, update and delete; the read-only test alone without. */
  email?: string
  /** The connection's delete policy, shown on the delete row; undefined for the directory. */
  deletePolicy?: string
  now: () => Date
}

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const RENAMED = 'Self-test renamed'

/**
 * Said before any write: the product behind a connection is real, and a create there is an
 * invitation (Tresorit invites, Clumio and Infisical send invites too).
 */
export function invitationWarning(email: string): string {
  return (
    `Warning: the write cycle creates a real user ${email} in the product behind this connection, ` +
    'then deletes it. A real product may send that address an invitation email: use an address ' +
    'you own, or a simulator.'
  )
}

/** What a delete does under each policy (DESIGN.md "Deletes"), for the operator to check. */
export function describeDeletePolicy(policy: string | undefined): string {
  switch (policy) {
    case undefined:
      return "the gateway's own store: the user is deleted"
    case 'deactivate':
      return 'the product user is deactivated, not deleted'
    case 'remove':
      return 'the product user is removed from the subscription; the account stays'
    case 'hard':
      return 'the product user is deleted'
    default:
      return `policy ${policy}`
  }
}

function describeError(err: unknown): string {
  // A product failure reads as the IdP would see it (status and detail).
  if (err instanceof UpstreamFailure) return describeError(err.scimError)
  if (err instanceof ScimError)
    return `${err.status}${err.scimType ? ` ${err.scimType}` : ''}: ${err.detail}`
  return err instanceof Error ? err.message : String(err)
}

function describeCalls(calls: RequestTrace['upstream']): string {
  if (calls.length === 0) return ''
  const shown = calls.slice(0, 4).map((c) => `${c.method} ${c.path} → ${c.status}`)
  return ` [upstream: ${shown.join(', ')}${calls.length > shown.length ? ', …' : ''}]`
}

function newContext(): RequestContext {
  return {
    requestId: `self-test-${randomUUID()}`,
    projection: {},
    trace: { upstream: [], ignored: [] },
  }
}

const userNameQuery = (userName: string): ListQuery => ({
  // JSON string syntax is the filter's string syntax (RFC 7644 §3.4.2.2), quotes escaped.
  filter: parseFilter('User', `userName eq ${JSON.stringify(userName)}`),
  startIndex: 1,
  count: 100,
  sortOrder: 'ascending',
})

const sameUserName = (a: unknown, b: string) =>
  typeof a === 'string' && a.toLowerCase() === b.toLowerCase()

/**
 * Runs the self-test an operator runs before pointing an IdP at a connection: first what
 * Entra's Test Connection does (read-only), then, given an address, a full user life cycle.
 * Stops at the first failure, but a user it created is always deleted again.
 */
export async function runSelfTest(options: SelfTestOptions): Promise<SelfTestStep[]> {
  const { service, now, email } = options
  const product = options.product ?? 'the product'
  const steps: SelfTestStep[] = []

  async function step(
    name: string,
    work: (ctx: RequestContext) => Promise<string>,
  ): Promise<boolean> {
    const ctx = newContext()
    const started = now().getTime()
    let ok = true
    let detail: string
    try {
      detail = await work(ctx)
    } catch (err) {
      ok = false
      detail = describeError(err)
    }
    steps.push({
      name,
      ok,
      detail: `${detail}${describeCalls(ctx.trace.upstream)}`,
      ms: now().getTime() - started,
    })
    return ok
  }

  const readOnly = await step('Test Connection (read-only)', async (ctx) => {
    // Entra's Test Connection: a random GUID as userName must give 200 and an empty
    // ListResponse, never a 404 (IDP-BEHAVIOR.md).
    const guid = randomUUID()
    const result = await service.list('User', userNameQuery(guid), ctx)
    if (result.totalResults !== 0 || result.resources.length !== 0) {
      throw new Error(
        `filter userName eq "${guid}" should find nothing, found totalResults ${result.totalResults}`,
      )
    }
    const said = [`filter userName eq "${guid}" → empty ListResponse`]
    if (options.probe) {
      try {
        await options.probe(ctx.trace.upstream)
      } catch (err) {
        throw new Error(`${said[0]}, but the check of ${product} failed: ${describeError(err)}`, {
          cause: err,
        })
      }
      said.push(`a lookup of a random key in ${product} found nothing: it accepts our credential`)
    }
    return said.join('; ')
  })
  if (!readOnly || email === undefined) return steps

  let id: string | undefined
  const created = await step('Create user', async (ctx) => {
    const user = await service.create(
      'User',
      {
        schemas: [CORE_USER],
        userName: email,
        name: { givenName: 'Self', familyName: 'Test' },
        displayName: 'SCIM gateway self-test',
        emails: [{ value: email, type: 'work', primary: true }],
        active: true,
      },
      ctx,
    )
    if (typeof user.id !== 'string') throw new Error('the created user has no id')
    id = user.id
    return `POST /Users ${email} → id ${id}`
  })
  if (!created || id === undefined) return steps
  const userId = id

  // Each runs only while every earlier one passed; the delete below runs regardless.
  const cycle: [string, (ctx: RequestContext) => Promise<string>][] = [
    [
      'Read back by id',
      async (ctx) => {
        const user = await service.get('User', userId, ctx)
        if (!sameUserName(user.userName, email))
          throw new Error(`GET /Users/${userId} answered userName ${JSON.stringify(user.userName)}`)
        return `GET /Users/${userId} → ${email}`
      },
    ],
    [
      'Read back by filter',
      async (ctx) => {
        const result = await service.list('User', userNameQuery(email), ctx)
        const ids = result.resources.map((r) => JSON.stringify(r.id))
        if (result.totalResults !== 1 || result.resources[0]?.id !== userId)
          throw new Error(
            `filter userName eq "${email}" found ${result.totalResults} (ids ${ids.join(', ') || 'none'}), expected ${userId}`,
          )
        return `filter userName eq "${email}" → 1 result, id ${userId}`
      },
    ],
    [
      'Update name.givenName',
      async (ctx) => {
        const user = await service.patch(
          'User',
          userId,
          [{ op: 'replace', path: 'name.givenName', value: RENAMED }],
          ctx,
        )
        const name = user.name
        const given = isJsonObject(name) ? name.givenName : undefined
        if (given !== RENAMED)
          throw new Error(`PATCH answered name.givenName ${JSON.stringify(given)}`)
        const ignored = ctx.trace.ignored.filter((i) => i.attribute === 'name.givenName')
        return ignored.length > 0
          ? `PATCH name.givenName → kept in the SCIM view, not sent to ${product} (${ignored.map((i) => i.rule).join(', ')})`
          : 'PATCH name.givenName → changed'
      },
    ],
    [
      'Deactivate (active false)',
      async (ctx) => {
        const user: ScimResource = await service.patch(
          'User',
          userId,
          [{ op: 'replace', path: 'active', value: false }],
          ctx,
        )
        if (user.active !== false)
          throw new Error(`PATCH active false answered active ${JSON.stringify(user.active)}`)
        return 'PATCH active false → inactive'
      },
    ],
  ]
  for (const [name, work] of cycle) {
    if (!(await step(name, work))) break
  }

  const policy = options.deletePolicy
  await step(`Delete (deletePolicy ${policy ?? 'directory'})`, async (ctx) => {
    await service.delete('User', userId, ctx)
    try {
      await service.get('User', userId, newContext())
    } catch (err) {
      if (err instanceof ScimError && err.status === 404)
        return `DELETE /Users/${userId} → ${describeDeletePolicy(policy)}; GET now 404`
      throw err
    }
    throw new Error(`GET /Users/${userId} still answers after DELETE`)
  })
  return steps
}

/** The pass/fail table `connector test` prints. */
export function formatSelfTest(steps: readonly SelfTestStep[]): string {
  const rows = [
    ['STEP', 'RESULT', 'MS', 'DETAIL'],
    ...steps.map((s) => [s.name, s.ok ? 'PASS' : 'FAIL', String(s.ms), s.detail]),
  ]
  const widths = [0, 1, 2].map((col) => Math.max(...rows.map((r) => (r[col] ?? '').length)))
  const lines = rows.map((r) =>
    r
      .map((cell, col) =>
        // Milliseconds right-aligned, so they compare at a glance.
        col === 2 ? cell.padStart(widths[2] ?? 0) : col < 3 ? cell.padEnd(widths[col] ?? 0) : cell,
      )
      .join('  ')
      .trimEnd(),
  )
  const failed = steps.find((s) => !s.ok)
  lines.push(
    '',
    failed
      ? `FAIL: ${failed.name}`
      : `PASS: ${steps.length} step${steps.length === 1 ? '' : 's'} passed`,
  )
  return `${lines.join('\n')}\n`
}
