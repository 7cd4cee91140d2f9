import { isRecord } from '../common/body.ts'
import { badRequest, conflict, notFound } from './errors.ts'
import { CLUMIO_GLOBAL_OU_ID } from './organizational-units.ts'
import { CLUMIO_ROLE_IDS, normalizeAccess, type AccessControlEntry } from './roles.ts'

/** Deterministic, UUID-shaped rule ids, counting from 1 (seeded rules first). */
export function clumioRuleId(index: number): string {
  return `00000000-0000-4000-a000-${String(index).padStart(12, '0')}`
}

/** The id of the seeded Super Admin → Global rule (the first default rule). */
export const CLUMIO_SUPER_ADMIN_RULE_ID = clumioRuleId(1)

/** A rule as the API takes it: one role on one or more OUs per rule (C5). */
export interface ClumioRuleInput {
  name: string
  /** JSON over `user.groups`: `$eq`, `$in`, `$all`, `$contains: {$in | $all}`. */
  condition: string
  provision: AccessControlEntry
}

export interface ClumioRule extends ClumioRuleInput {
  rule_id: string
}

export const SUPER_ADMIN_RULE: ClumioRuleInput = {
  name: 'Super Admin',
  condition: '{"user.groups":{"$eq":"Clumio-SuperAdmins"}}',
  provision: {
    role_id: CLUMIO_ROLE_IDS.superAdmin,
    organizational_unit_ids: [CLUMIO_GLOBAL_OU_ID],
  },
}

export function ruleNotFound(id: string) {
  return notFound(`No auto user provisioning rule with id ${id}`)
}

export type GroupMatcher = (groups: readonly string[]) => boolean

function invalidCondition(message: string) {
  return badRequest('invalid_condition', `Invalid condition: ${message}`)
}

function readStrings(value: unknown, operator: string): string[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((item): item is string => typeof item === 'string')
  )
    throw invalidCondition(`${operator} takes a non-empty array of group names`)
  return value
}

/** The one key of an operator object, e.g. `{"$in": […]}` → ['$in', […]]. */
function readOperator(value: unknown): [string, unknown] {
  const entries = isRecord(value) ? Object.entries(value) : []
  const [first] = entries
  if (!first || entries.length !== 1) throw invalidCondition('expected exactly one operator')
  return first
}

function parseContains(value: unknown): GroupMatcher {
  const [operator, operand] = readOperator(value)
  const parts = readStrings(operand, `$contains.${operator}`)
  const inSomeGroup = (groups: readonly string[], part: string) =>
    groups.some((group) => group.includes(part))
  if (operator === '$in') return (groups) => parts.some((part) => inSomeGroup(groups, part))
  if (operator === '$all') return (groups) => parts.every((part) => inSomeGroup(groups, part))
  throw invalidCondition(`$contains takes $in or $all, not ${operator}`)
}

/** Parses a rule condition into a predicate over the user's group names (C5). */
export function parseCondition(text: string): GroupMatcher {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw invalidCondition('not JSON')
  }
  const [field, test] = readOperator(parsed)
  if (field !== 'user.groups') throw invalidCondition('only user.groups can be tested')
  const [operator, operand] = readOperator(test)
  switch (operator) {
    case '$eq': {
      if (typeof operand !== 'string') throw invalidCondition('$eq takes a group name')
      return (groups) => groups.includes(operand)
    }
    case '$in': {
      const names = readStrings(operand, '$in')
      return (groups) => names.some((name) => groups.includes(name))
    }
    case '$all': {
      const names = readStrings(operand, '$all')
      return (groups) => names.every((name) => groups.includes(name))
    }
    case '$contains':
      return parseContains(operand)
    default:
      throw invalidCondition(`unsupported operator ${operator}`)
  }
}

/** `POST|PUT …/rules {name, condition, provision: {role_id, organizational_unit_ids}}`. */
export function readRuleInput(body: unknown): ClumioRuleInput {
  if (!isRecord(body)) throw badRequest('invalid_request', 'Expected a JSON object')
  if (typeof body.name !== 'string' || body.name.trim() === '')
    throw badRequest('invalid_request', 'name must be a non-empty string')
  if (typeof body.condition !== 'string')
    throw badRequest('invalid_request', 'condition must be a JSON string')
  parseCondition(body.condition)
  const provision = body.provision
  const units: unknown = isRecord(provision) ? provision.organizational_unit_ids : undefined
  if (
    !isRecord(provision) ||
    typeof provision.role_id !== 'string' ||
    !Array.isArray(units) ||
    units.length === 0 ||
    !units.every((unit): unit is string => typeof unit === 'string')
  )
    throw badRequest(
      'invalid_request',
      'provision must be {role_id, organizational_unit_ids: [string, …]}',
    )
  return {
    name: body.name,
    condition: body.condition,
    provision: { role_id: provision.role_id, organizational_unit_ids: [...new Set(units)] },
  }
}

/** Whether a rule keeps Super Admins on Global, which auto user provisioning needs (C5). */
export function isSuperAdminRule(rule: ClumioRuleInput): boolean {
  return (
    rule.provision.role_id === CLUMIO_ROLE_IDS.superAdmin &&
    rule.provision.organizational_unit_ids.includes(CLUMIO_GLOBAL_OU_ID)
  )
}

export interface ClumioAutoProvisioning {
  isEnabled(): boolean
  setEnabled(enabled: boolean): void
  /** In creation order, which is also evaluation order. */
  listRules(): ClumioRule[]
  findRule(id: string): ClumioRule | undefined
  createRule(input: ClumioRuleInput): ClumioRule
  replaceRule(id: string, input: ClumioRuleInput): ClumioRule
  removeRule(id: string): void
  /** The access the matching rules grant a user with these groups. */
  provisionFor(groups: readonly string[]): AccessControlEntry[]
  /** The name of a rule provisioning this OU, if any. */
  ruleUsing(unitId: string): string | undefined
  reset(): void
}

function copyRule(rule: ClumioRule): ClumioRule {
  return {
    ...rule,
    provision: {
      ...rule.provision,
      organizational_unit_ids: [...rule.provision.organizational_unit_ids],
    },
  }
}

/** The auto-user-provisioning setting and its rules (C2, C5). */
export function createAutoProvisioning(
  seeds: readonly ClumioRuleInput[],
  enabledAtStart: boolean,
): ClumioAutoProvisioning {
  let enabled = enabledAtStart
  let rules: ClumioRule[] = []
  let nextIndex = 1
  const add = (input: ClumioRuleInput): ClumioRule => {
    const rule = copyRule({ ...input, rule_id: clumioRuleId(nextIndex++) })
    rules.push(rule)
    return rule
  }
  const reset = () => {
    enabled = enabledAtStart
    rules = []
    nextIndex = 1
    seeds.forEach(add)
  }
  reset()
  const findOrThrow = (id: string) => {
    const rule = rules.find((candidate) => candidate.rule_id === id)
    if (!rule) throw ruleNotFound(id)
    return rule
  }
  const checkUniqueName = (name: string, exceptId?: string) => {
    const taken = rules.some(
      (rule) => rule.rule_id !== exceptId && rule.name.toLowerCase() === name.toLowerCase(),
    )
    if (taken) throw conflict('already_exists', `A rule named ${name} exists`)
  }
  const superAdminRuleRequired = () =>
    conflict(
      'super_admin_rule_required',
      'A rule provisioning Super Admin on the Global organizational unit must remain',
    )
  /** Whether a Super Admin → Global rule other than `exceptId` exists. */
  const otherSuperAdminRule = (exceptId: string) =>
    rules.some((rule) => rule.rule_id !== exceptId && isSuperAdminRule(rule))

  return {
    isEnabled: () => enabled,
    setEnabled: (value) => {
      if (value && !rules.some(isSuperAdminRule)) throw superAdminRuleRequired()
      // Enabling overwrites permissions in the product; here that happens at each login.
      enabled = value
    },
    listRules: () => rules.map(copyRule),
    findRule: (id) => {
      const rule = rules.find((candidate) => candidate.rule_id === id)
      return rule && copyRule(rule)
    },
    createRule: (input) => {
      checkUniqueName(input.name)
      return copyRule(add(input))
    },
    replaceRule: (id, input) => {
      const rule = findOrThrow(id)
      checkUniqueName(input.name, id)
      if (isSuperAdminRule(rule) && !isSuperAdminRule(input) && !otherSuperAdminRule(id))
        throw superAdminRuleRequired()
      Object.assign(rule, copyRule({ ...input, rule_id: id }))
      return copyRule(rule)
    },
    removeRule: (id) => {
      const rule = findOrThrow(id)
      if (isSuperAdminRule(rule) && !otherSuperAdminRule(id)) throw superAdminRuleRequired()
      rules = rules.filter((candidate) => candidate !== rule)
    },
    provisionFor: (groups) =>
      normalizeAccess(
        rules
          .filter((rule) => parseCondition(rule.condition)(groups))
          .map((rule) => rule.provision),
      ),
    ruleUsing: (unitId) =>
      rules.find((rule) => rule.provision.organizational_unit_ids.includes(unitId))?.name,
    reset,
  }
}
