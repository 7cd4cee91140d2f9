import { isRecord } from '../common/body.ts'
import { badRequest } from './errors.ts'
import type { InfisicalAuthMethod, InfisicalPlan, InfisicalSettings } from './settings.ts'

/** The organisation's settings that decide what SCIM may do (PRODUCTS.md §3 simulator spec). */
export interface InfisicalOrg {
  id: string
  scimEnabled: boolean
  authMethod: InfisicalAuthMethod
  plan: InfisicalPlan
  defaultMembershipRole: string
  trustEmails: boolean
  groupRoleMappings: Record<string, string>
}

/** What `PATCH /_sim/org` may change; absent keys stay. */
export type OrgPatch = Partial<Omit<InfisicalOrg, 'id' | 'plan'>> & {
  plan?: Partial<InfisicalPlan>
}

export interface OrgState {
  /** A copy: callers cannot change the organisation behind the store's back. */
  get(): InfisicalOrg
  update(patch: OrgPatch): InfisicalOrg
  /** A group rename carries its role mapping to the new name. */
  renameMapping(from: string, to: string): void
  reset(): void
}

function copyOrg(org: InfisicalOrg): InfisicalOrg {
  return { ...org, plan: { ...org.plan }, groupRoleMappings: { ...org.groupRoleMappings } }
}

export function createOrgState(settings: InfisicalSettings): OrgState {
  const initial = (): InfisicalOrg => ({
    id: settings.orgId,
    scimEnabled: settings.scimEnabled,
    authMethod: settings.authMethod,
    plan: { ...settings.plan },
    defaultMembershipRole: settings.defaultMembershipRole,
    trustEmails: settings.trustEmails,
    groupRoleMappings: { ...settings.groupRoleMappings },
  })
  let org = initial()
  return {
    get: () => copyOrg(org),
    update: (patch) => {
      org = { ...org, ...patch, plan: { ...org.plan, ...patch.plan }, id: org.id }
      return copyOrg(org)
    },
    renameMapping: (from, to) => {
      const role = org.groupRoleMappings[from]
      if (role === undefined || from === to) return
      const mappings = { ...org.groupRoleMappings, [to]: role }
      delete mappings[from]
      org.groupRoleMappings = mappings
    },
    reset: () => {
      org = initial()
    },
  }
}

function readOptionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key]
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw badRequest(`${key} must be a boolean`)
  return value
}

function readAuthMethod(value: unknown): InfisicalAuthMethod | undefined {
  if (value === undefined || value === null || value === 'saml' || value === 'oidc') return value
  throw badRequest('authMethod must be "saml", "oidc" or null')
}

function readPlan(value: unknown): Partial<InfisicalPlan> | undefined {
  if (value === undefined) return undefined
  if (!isRecord(value)) throw badRequest('plan must be an object')
  return stripUndefined({
    scim: readOptionalBoolean(value, 'scim'),
    groups: readOptionalBoolean(value, 'groups'),
  })
}

function readMappings(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined
  if (!isRecord(value)) throw badRequest('groupRoleMappings must be an object')
  const mappings: Record<string, string> = {}
  for (const [group, role] of Object.entries(value)) {
    if (typeof role !== 'string' || role === '')
      throw badRequest(`groupRoleMappings["${group}"] must be a role slug`)
    mappings[group] = role
  }
  return mappings
}

function readRole(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '')
    throw badRequest('defaultMembershipRole must be a role slug')
  return value
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T
}

/** Validates a `PATCH /_sim/org` body. */
export function parseOrgPatch(body: unknown): OrgPatch {
  if (!isRecord(body)) throw badRequest('Expected a JSON object')
  return stripUndefined<OrgPatch>({
    scimEnabled: readOptionalBoolean(body, 'scimEnabled'),
    trustEmails: readOptionalBoolean(body, 'trustEmails'),
    authMethod: readAuthMethod(body.authMethod),
    plan: readPlan(body.plan),
    groupRoleMappings: readMappings(body.groupRoleMappings),
    defaultMembershipRole: readRole(body.defaultMembershipRole),
  })
}
