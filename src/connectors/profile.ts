import { readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { Ajv } from 'ajv'
import { readYamlFile, type ConfigProblem } from '../config/yaml-file.ts'
import { resolveAttributePath } from '../scim/attribute-paths.ts'
import type { ResourceType } from '../scim/types.ts'
import {
  attributesOf,
  parseTemplate,
  settingsOf,
  type Template,
  type ValueMaps,
} from './mapping.ts'
import {
  profileSchema,
  type AccessSpec,
  type InvitationSpec,
  type LookupListSpec,
  type Precondition,
  type ProfileFile,
  type RequestSpec,
  type SettingSpec,
} from './profile-schema.ts'
import { compileRule, type AttributeRule, type RuleSet } from './rules.ts'

export type DeletePolicy = ProfileFile['deletePolicy']

export interface CompiledRequest {
  method: RequestSpec['method']
  path: Template
  body?: Readonly<Record<string, Template>>
}

/** A connector profile, validated and compiled once. */
export interface ConnectorProfile {
  name: string
  product: string
  file: string
  mode: ProfileFile['mode']
  resources: readonly ResourceType[]
  deletePolicy: DeletePolicy
  deletePolicies: readonly DeletePolicy[]
  authSecret: string
  headers: Readonly<Record<string, string>>
  limits: { requestsPerMinute: number; concurrency: number; timeoutMs: number; maxRetries: number }
  breaker: { failureThreshold: number; cooldownMs: number }
  errors: { code?: string[]; message?: string[]; preconditions: readonly Precondition[] }
  settings: Readonly<Record<string, SettingSpec>>
  maps: ValueMaps
  rules: RuleSet
  user?: {
    key: string
    nativeId: string[]
    create: CompiledRequest
    lookup: CompiledRequest
    lookupList?: LookupListSpec
    update: CompiledRequest
    delete: { remove?: CompiledRequest; hard?: CompiledRequest }
    reactivate: 'create' | 'update'
    /** SCIM attributes the product takes after creation (read by the update template). */
    updatable: ReadonlySet<string>
  }
  groups?: NonNullable<ProfileFile['groups']>
  access?: AccessSpec
  invitations?: InvitationSpec
  scim?: {
    path: string
    /** Canonical paths of the SCIM attributes the product holds. */
    attributes: readonly string[]
    update: 'patch' | 'put'
    reactivate: 'post' | 'update'
  }
}

const validate = new Ajv({ allErrors: true }).compile<ProfileFile>(profileSchema)

type Report = (keys: readonly string[], message: string) => void

function compileRequest(
  spec: RequestSpec,
  at: string[],
  maps: ValueMaps,
  settings: Readonly<Record<string, SettingSpec>>,
  report: Report,
): CompiledRequest {
  const compileOne = (text: string, keys: string[]): Template => {
    const parsed = parseTemplate(text, 'User', maps)
    for (const p of parsed.problems) report(keys, `${keys.join('.')}: ${p}`)
    for (const name of settingsOf(parsed.template)) {
      if (!Object.hasOwn(settings, name)) {
        report(keys, `${keys.join('.')}: names an undeclared setting settings.${name}`)
      }
    }
    return parsed.template
  }
  const path = compileOne(spec.path, [...at, 'path'])
  const body: Record<string, Template> = {}
  for (const [field, text] of Object.entries(spec.body ?? {})) {
    body[field] = compileOne(text, [...at, 'body', field])
  }
  return { method: spec.method, path, ...(spec.body ? { body } : {}) }
}

function compile(raw: ProfileFile, file: string, report: Report): ConnectorProfile {
  const maps: ValueMaps = raw.maps ?? {}
  if (!raw.deletePolicies.includes(raw.deletePolicy)) {
    report(['deletePolicy'], `deletePolicy ${raw.deletePolicy} is not among deletePolicies`)
  }
  const settings = raw.settings ?? {}
  const rules: AttributeRule[] = []
  // Problems about a rule point at the key as written, which may not be the canonical spelling.
  const writtenKey = new Map<string, string>()
  for (const [path, spec] of Object.entries(raw.rules ?? {})) {
    const { allowedValues, ...rest } = spec
    if (
      typeof allowedValues === 'string' &&
      !raw.settings?.[allowedValues.slice('settings.'.length)]
    ) {
      report(
        ['rules', path, 'allowedValues'],
        `rules.${path}.allowedValues names an undeclared setting ${allowedValues}`,
      )
    }
    const compiled = compileRule('User', path, {
      ...rest,
      ...(allowedValues === undefined
        ? {}
        : {
            allowedValues:
              typeof allowedValues === 'string'
                ? { setting: allowedValues.slice('settings.'.length) }
                : allowedValues,
          }),
    })
    if (typeof compiled === 'string') report(['rules', path], `rules.${path}: ${compiled}`)
    else {
      rules.push(compiled)
      writtenKey.set(compiled.path, path)
    }
  }
  let user: ConnectorProfile['user']
  const hasGroups = raw.resources.includes('Group')
  if (hasGroups && !raw.groups) report(['resources'], 'resources: Group needs a groups section')
  if (!hasGroups && (raw.groups || raw.access))
    report(['groups'], 'groups and access need Group among resources')
  if (raw.mode === 'translate' && raw.groups?.store === 'product')
    report(['groups', 'store'], 'groups.store: a translate profile keeps groups in the gateway')
  if (raw.access) {
    const rules = settings[raw.access.rules]
    if (rules?.type !== 'access-rules')
      report(['access', 'rules'], `access.rules must name a setting of type access-rules`)
  }
  for (const [name, spec] of Object.entries(settings)) {
    for (const ref of [spec.roles, spec.units]) {
      if (ref !== undefined && settings[ref]?.type !== 'string-list')
        report(['settings', name], `settings.${name} names ${ref}, not a string-list setting`)
    }
  }
  if (raw.invitations && raw.invitations.check.secret === raw.auth.secret)
    report(['invitations', 'check', 'secret'], 'invitations.check.secret must differ from auth')
  if (raw.user && !resolveAttributePath('User', raw.user.key)) {
    report(['user', 'key'], `user.key: unknown attribute ${raw.user.key}`)
  }
  if (raw.mode === 'translate') {
    if (!raw.user) report(['mode'], 'a translate profile needs a user section')
    else {
      const u = raw.user
      const create = compileRequest(u.create, ['user', 'create'], maps, settings, report)
      const update = compileRequest(u.update, ['user', 'update'], maps, settings, report)
      const updatable = new Set(Object.values(update.body ?? {}).flatMap(attributesOf))
      const mapped = new Set([
        ...updatable,
        ...Object.values(create.body ?? {}).flatMap(attributesOf),
      ])
      for (const rule of rules) {
        const key = writtenKey.get(rule.path) ?? rule.path
        if (!mapped.has(rule.path)) {
          report(['rules', key], `rules.${key}: the connector does not map ${rule.path}`)
        }
      }
      const remove =
        u.delete?.remove &&
        compileRequest(u.delete.remove, ['user', 'delete', 'remove'], maps, settings, report)
      const hard =
        u.delete?.hard &&
        compileRequest(u.delete.hard, ['user', 'delete', 'hard'], maps, settings, report)
      for (const policy of raw.deletePolicies) {
        if (policy === 'remove' && !remove)
          report(['deletePolicies'], 'deletePolicy remove needs user.delete.remove')
        if (policy === 'hard' && !hard)
          report(['deletePolicies'], 'deletePolicy hard needs user.delete.hard')
        if (policy === 'deactivate' && !updatable.has('active'))
          report(['deletePolicies'], 'deletePolicy deactivate needs user.update to send active')
      }
      user = {
        key: u.key,
        nativeId: u.nativeId.split('.'),
        create,
        lookup: compileRequest(u.lookup, ['user', 'lookup'], maps, settings, report),
        ...(u.lookupList ? { lookupList: u.lookupList } : {}),
        update,
        delete: { ...(remove ? { remove } : {}), ...(hard ? { hard } : {}) },
        reactivate: u.reactivate,
        updatable,
      }
    }
  }
  if (raw.mode === 'proxy' && !raw.scim) report(['mode'], 'a proxy profile needs a scim section')
  const scimAttributes: string[] = []
  raw.scim?.attributes.forEach((path, index) => {
    const resolved = resolveAttributePath('User', path)
    if (!resolved)
      report(['scim', 'attributes', String(index)], `scim.attributes: unknown attribute ${path}`)
    else scimAttributes.push(resolved.path)
  })
  if (raw.mode === 'proxy') {
    for (const rule of rules) {
      const held = scimAttributes.some((a) => rule.path === a || rule.path.startsWith(`${a}.`))
      if (!held) {
        const key = writtenKey.get(rule.path) ?? rule.path
        report(['rules', key], `rules.${key}: the connector does not send ${rule.path}`)
      }
    }
  }
  if (raw.mode === 'proxy' && raw.deletePolicies.includes('remove')) {
    report(['deletePolicies'], 'a proxy profile supports deactivate and hard deletes only')
  }
  return {
    name: raw.name,
    product: raw.product,
    file,
    mode: raw.mode,
    resources: raw.resources,
    deletePolicy: raw.deletePolicy,
    deletePolicies: raw.deletePolicies,
    authSecret: raw.auth.secret,
    headers: raw.headers ?? {},
    limits: {
      requestsPerMinute: raw.limits?.requestsPerMinute ?? 600,
      concurrency: raw.limits?.concurrency ?? 8,
      timeoutMs: raw.limits?.timeoutMs ?? 10_000,
      maxRetries: raw.limits?.maxRetries ?? 3,
    },
    breaker: {
      failureThreshold: raw.breaker?.failureThreshold ?? 5,
      cooldownMs: (raw.breaker?.cooldownSeconds ?? 30) * 1000,
    },
    errors: {
      ...(raw.errors?.code ? { code: raw.errors.code.split('.') } : {}),
      ...(raw.errors?.message ? { message: raw.errors.message.split('.') } : {}),
      preconditions: raw.errors?.preconditions ?? [],
    },
    settings: raw.settings ?? {},
    maps,
    rules: { product: raw.product, resourceType: 'User', rules },
    ...(user ? { user } : {}),
    ...(raw.groups ? { groups: raw.groups } : {}),
    ...(raw.access ? { access: raw.access } : {}),
    ...(raw.invitations ? { invitations: raw.invitations } : {}),
    ...(raw.scim
      ? {
          scim: {
            path: raw.scim.path.replace(/\/+$/, ''),
            attributes: scimAttributes,
            update: raw.scim.update ?? 'patch',
            reactivate: raw.scim.reactivate ?? 'update',
          },
        }
      : {}),
  }
}

export type ProfilesResult =
  | { ok: true; profiles: ReadonlyMap<string, ConnectorProfile> }
  | { ok: false; problems: ConfigProblem[] }

/** Loads and compiles every `connectors/*.yaml`; all problems are reported together. */
export async function loadProfiles(dir: string): Promise<ProfilesResult> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, profiles: new Map() }
    return {
      ok: false,
      problems: [
        {
          file: dir,
          line: 1,
          message: `cannot read the connectors folder: ${(err as Error).message}`,
        },
      ],
    }
  }
  const problems: ConfigProblem[] = []
  const profiles = new Map<string, ConnectorProfile>()
  for (const name of names) {
    const file = join(dir, name)
    const result = await readYamlFile(file, validate)
    if (!result.ok) {
      problems.push(...result.problems)
      continue
    }
    const before = problems.length
    const report: Report = (keys, message) =>
      problems.push({ file, line: result.lineOf(keys), message })
    const expected = basename(name).replace(/\.ya?ml$/, '')
    if (result.value.name !== expected)
      report(['name'], `name: ${result.value.name} must match the file name (${expected})`)
    if (result.value.name === 'directory') report(['name'], 'directory is the built-in connector')
    const profile = compile(result.value, file, report)
    if (problems.length === before) profiles.set(profile.name, Object.freeze(profile))
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, profiles }
}

/** The value at a path of a product's JSON answer (`errors.0.error_message`), if any. */
export function readNativePath(body: unknown, keys: readonly string[]): unknown {
  let current: unknown = body
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

/** A field of a product's JSON answer by its path, as text. */
export function readNativeField(
  body: unknown,
  keys: readonly string[] | undefined,
): string | undefined {
  if (!keys) return undefined
  const value = readNativePath(body, keys)
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
}

/** The objects in a product's JSON answer at a path (`_embedded.items`); none when absent. */
export function readNativeList(body: unknown, keys: readonly string[]): unknown[] {
  const value = readNativePath(body, keys)
  return Array.isArray(value) ? value : []
}

/** The connection's upstream credential expiry dates the profile declares, with days left. */
export function credentialExpiries(
  profile: ConnectorProfile,
  settings: Readonly<Record<string, unknown>>,
  now: Date,
): { setting: string; date: string; days: number }[] {
  return Object.entries(profile.settings).flatMap(([setting, spec]) => {
    const date = settings[setting]
    if (spec.type !== 'date' || !spec.credentialExpiry || typeof date !== 'string') return []
    return [{ setting, date, days: Math.floor((Date.parse(date) - now.getTime()) / 86_400_000) }]
  })
}
