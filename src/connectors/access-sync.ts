import type { GroupMemberStore } from '../store/group-members.ts'
import type { LinkStore } from '../store/links.ts'
import { planGrants, readAccessRules, type AccessRule, type Grant } from './access-rules.ts'
import { PermanentJobError, type JobResult } from './job-results.ts'
import {
  readNativeField,
  readNativeList,
  readNativePath,
  type ConnectorProfile,
} from './profile.ts'
import type { AccessSpec, ListSpec } from './profile-schema.ts'
import { requireSuccess, type UpstreamCall, type UpstreamClient } from './upstream-client.ts'

export interface AccessSyncOptions {
  key: string
  profile: ConnectorProfile
  access: AccessSpec
  settings: Readonly<Record<string, unknown>>
  client: UpstreamClient
  links: LinkStore
  members: GroupMemberStore
  describeError: (body: unknown) => string | undefined
  onMisconfigured: (reason: string) => void
  now: () => number
}

const NAMES_TTL_MS = 5 * 60_000

/** A product assignment as stored: one role on several units. */
interface Assignment {
  role_id: string
  organizational_unit_ids: string[]
}

const stringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []

function toAssignments(grants: readonly Grant[]): Assignment[] {
  const byRole = new Map<string, string[]>()
  for (const g of grants) byRole.set(g.role, [...(byRole.get(g.role) ?? []), g.unit])
  return [...byRole].map(([role_id, organizational_unit_ids]) => ({
    role_id,
    organizational_unit_ids,
  }))
}

function fromAssignments(value: unknown): Grant[] {
  if (!Array.isArray(value)) return []
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return []
    const { role_id: role, organizational_unit_ids: units } = entry as Record<string, unknown>
    return typeof role === 'string' ? stringList(units).map((unit) => ({ role, unit })) : []
  })
}

/**
 * The access-sync job: makes a user's role assignments in the product what the connection's
 * access rules give for the user's direct groups now. Run from the outbox after every
 * membership change, so the IdP's request never waits for the product's rate limit; running
 * it twice does no harm.
 */
export function createAccessSync(options: AccessSyncOptions) {
  const { access, client, profile } = options
  const listOf = (name: string | undefined) =>
    name === undefined ? [] : stringList(options.settings[name])
  const rulesSetting = profile.settings[access.rules]
  const rules: AccessRule[] = readAccessRules(
    options.settings[access.rules] ?? [],
    listOf(rulesSetting?.roles),
    listOf(rulesSetting?.units),
  ).rules

  async function get(
    path: string,
    headers: Record<string, string> | undefined,
    calls: UpstreamCall[],
  ) {
    const response = await client.send(
      { method: 'GET', path, ...(headers ? { headers } : {}), idempotent: true },
      calls,
    )
    requireSuccess(client, response, options.describeError)
    return response.body
  }

  // Roles and units change rarely and every call counts against the product's rate limit:
  // their ids are read once per TTL, and again at once when a rule names one not yet seen.
  const cached = new Map<string, { at: number; ids: Map<string, string> }>()

  async function readIds(spec: ListSpec, calls: UpstreamCall[]) {
    const body = await get(spec.path, spec.headers, calls)
    const ids = new Map<string, string>()
    for (const item of readNativeList(body, spec.items.split('.'))) {
      const name = readNativeField(item, ['name'])
      const id = readNativeField(item, ['id'])
      if (name !== undefined && id !== undefined) ids.set(name, id)
    }
    cached.set(spec.path, { at: options.now(), ids })
    return ids
  }

  /** Names → ids of the product's roles or units; a name the product lacks is a setup error. */
  async function idsOf(spec: ListSpec, names: readonly string[], calls: UpstreamCall[]) {
    const known = cached.get(spec.path)
    const ids =
      known && options.now() - known.at < NAMES_TTL_MS && names.every((n) => known.ids.has(n))
        ? known.ids
        : await readIds(spec, calls)
    const missing = names.filter((n) => !ids.has(n))
    if (missing.length > 0) {
      const reason = `${profile.product} has no ${missing.map((m) => JSON.stringify(m)).join(', ')} (${spec.path}); the access rules name it`
      options.onMisconfigured(reason)
      throw new PermanentJobError(reason)
    }
    return ids
  }

  /**
   * Proves the product lets the gateway assign roles (`connector test`): the setting that
   * would take role assignment over must be off.
   */
  async function checkSetup(calls: UpstreamCall[]): Promise<void> {
    const off = access.mustBeOff
    if (!off) return
    const body = await get(off.path, off.headers, calls)
    if (readNativePath(body, off.field.split('.')) !== false) {
      const reason = `${profile.product}'s ${off.name} is on: turn it off for this connection, or ${profile.product} refuses the role assignments of its access rules`
      options.onMisconfigured(reason)
      throw new Error(reason)
    }
  }

  async function run(payload: Record<string, unknown>, calls: UpstreamCall[]): Promise<JobResult> {
    if (typeof payload.id !== 'string') throw new PermanentJobError('payload needs the user id')
    const link = await options.links.findById(options.key, 'User', payload.id)
    if (!link) return { outcome: 'skipped', note: 'the user is gone' }
    // A create in flight: retried with backoff until the product's id is known.
    if (link.state !== 'active' || !link.nativeId)
      throw new Error(`user ${link.id} is still being created`)
    const groups = new Set(
      (await options.members.groupsOf(options.key, [link.id])).flatMap((g) =>
        g.display === null ? [] : [g.display],
      ),
    )
    const roles = await idsOf(access.roles, [...new Set(rules.map((r) => r.role))], calls)
    const units = await idsOf(access.units, [...new Set(rules.flatMap((r) => r.units))], calls)
    const roleName = new Map([...roles].map(([name, id]) => [id, name]))
    const unitName = new Map([...units].map(([name, id]) => [id, name]))
    const userPath = access.user.path.replace('{id}', encodeURIComponent(link.nativeId))
    const user = await get(userPath, access.user.headers, calls)
    // Assignments are compared by name; ones the product holds for other roles or units are
    // not the rules' to change.
    const held = fromAssignments(readNativePath(user, access.assignments.split('.'))).flatMap(
      (g) => {
        const role = roleName.get(g.role)
        const unit = unitName.get(g.unit)
        return role !== undefined && unit !== undefined ? [{ role, unit }] : []
      },
    )
    const plan = planGrants(rules, groups, held)
    const notes: string[] = []
    const guard = access.protected
    const isGuarded = (g: Grant) =>
      guard !== undefined && g.role === guard.role && g.unit === guard.unit
    const keepGuarded = () => {
      plan.remove = plan.remove.filter((g) => !isGuarded(g))
      notes.push(
        `kept ${guard?.role ?? ''} on ${guard?.unit ?? ''}: the last holder is never demoted`,
      )
    }
    if (guard && plan.remove.some(isGuarded)) {
      const counted = await get(
        guard.countPath
          .replace('{roleId}', encodeURIComponent(roles.get(guard.role) ?? ''))
          .replace('{unitId}', encodeURIComponent(units.get(guard.unit) ?? '')),
        access.user.headers,
        calls,
      )
      if (Number(readNativeField(counted, guard.count.split('.')) ?? 0) <= 1) keepGuarded()
    }
    const toIds = (grants: readonly Grant[]) =>
      toAssignments(
        grants.map((g) => ({ role: roles.get(g.role) ?? '', unit: units.get(g.unit) ?? '' })),
      )
    const send = () =>
      client.send(
        {
          method: 'PATCH',
          path: userPath,
          ...(access.user.headers ? { headers: access.user.headers } : {}),
          body: {
            [access.updates]: {
              ...(plan.add.length > 0 ? { add: toIds(plan.add) } : {}),
              ...(plan.remove.length > 0 ? { remove: toIds(plan.remove) } : {}),
            },
          },
          idempotent: true,
        },
        calls,
      )
    if (plan.add.length === 0 && plan.remove.length === 0) {
      return { outcome: 'done', note: ['no change', ...notes].join('; ') }
    }
    let response = await send()
    // The count above can include holders the product does not count (disabled users), or
    // change meanwhile: the product's own refusal keeps the grant, and the rest still goes.
    if (response.status === 409 && plan.remove.some(isGuarded)) {
      keepGuarded()
      if (plan.add.length === 0 && plan.remove.length === 0)
        return { outcome: 'done', note: ['no change', ...notes].join('; ') }
      response = await send()
    }
    if (response.status === 404)
      return { outcome: 'skipped', note: `${profile.product} has no such user` }
    requireSuccess(client, response, options.describeError, 'user')
    const said = (verb: string, grants: readonly Grant[]) =>
      grants.length === 0
        ? []
        : [`${verb} ${grants.map((g) => `${g.role} on ${g.unit}`).join(', ')}`]
    return {
      outcome: 'done',
      note: [...said('granted', plan.add), ...said('removed', plan.remove), ...notes].join('; '),
    }
  }

  return { run, checkSetup }
}
