/**
 * A connection's access rules: a condition on a user's direct groups grants one role on one
 * or more units (Clumio's "one role and one or more OUs per rule"). Pure: read from the
 * tenant file, checked at load, evaluated by the access-sync job.
 */
export interface AccessRule {
  name: string
  /** The user is in at least one of these groups (`anyOf`) or in all of them (`allOf`). */
  anyOf?: readonly string[]
  allOf?: readonly string[]
  role: string
  units: readonly string[]
}

export interface RuleProblem {
  /** Keys below the setting, for the problem's file:line. */
  keys: (string | number)[]
  message: string
}

/** A role granted on a unit: the unit of assignment the product stores. */
export interface Grant {
  role: string
  unit: string
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')
}

/**
 * Reads the rules as written; every problem is reported. `roles` and `units` are the names
 * the connection declares (a rule naming anything else is a configuration error).
 */
export function readAccessRules(
  value: unknown,
  roles: readonly string[],
  units: readonly string[],
): { rules: AccessRule[]; problems: RuleProblem[] } {
  const problems: RuleProblem[] = []
  const rules: AccessRule[] = []
  if (!Array.isArray(value)) {
    return { rules, problems: [{ keys: [], message: 'must be a list of rules' }] }
  }
  const names = new Set<string>()
  value.forEach((raw: unknown, index) => {
    const at = (key?: string) => (key === undefined ? [index] : [index, key])
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push({ keys: at(), message: `rule ${index + 1} must be a mapping` })
      return
    }
    const rule = raw as Record<string, unknown>
    const label = typeof rule.name === 'string' ? rule.name : `rule ${index + 1}`
    const before = problems.length
    for (const key of Object.keys(rule)) {
      if (!['name', 'anyOf', 'allOf', 'role', 'organizationalUnits'].includes(key))
        problems.push({ keys: at(key), message: `${label}: unknown key ${key}` })
    }
    if (typeof rule.name !== 'string' || rule.name.trim() === '')
      problems.push({ keys: at(), message: `${label}: needs a name` })
    else if (names.has(rule.name))
      problems.push({ keys: at('name'), message: `${label}: the name is used twice` })
    else names.add(rule.name)
    const anyOf = rule.anyOf
    const allOf = rule.allOf
    if ((anyOf === undefined) === (allOf === undefined))
      problems.push({ keys: at(), message: `${label}: give exactly one of anyOf or allOf` })
    for (const [key, list] of [
      ['anyOf', anyOf],
      ['allOf', allOf],
    ] as const) {
      if (list !== undefined && !isStringList(list))
        problems.push({ keys: at(key), message: `${label}: ${key} must list group names` })
    }
    if (typeof rule.role !== 'string')
      problems.push({ keys: at('role'), message: `${label}: needs a role` })
    else if (!roles.includes(rule.role))
      problems.push({
        keys: at('role'),
        message: `${label}: unknown role ${JSON.stringify(rule.role)} (known: ${roles.join(', ')})`,
      })
    const ruleUnits = rule.organizationalUnits
    if (!isStringList(ruleUnits))
      problems.push({
        keys: at('organizationalUnits'),
        message: `${label}: organizationalUnits must list one or more units`,
      })
    else
      for (const unit of ruleUnits.filter((u) => !units.includes(u)))
        problems.push({
          keys: at('organizationalUnits'),
          message: `${label}: unknown organizational unit ${JSON.stringify(unit)} (known: ${units.join(', ')})`,
        })
    if (problems.length > before) return
    rules.push({
      name: rule.name as string,
      ...(isStringList(anyOf) ? { anyOf } : {}),
      ...(isStringList(allOf) ? { allOf } : {}),
      role: rule.role as string,
      units: ruleUnits as string[],
    })
  })
  return { rules, problems }
}

/** Whether a rule's condition holds for a user in these groups (direct membership only). */
export function ruleMatches(rule: AccessRule, groups: ReadonlySet<string>): boolean {
  if (rule.anyOf) return rule.anyOf.some((g) => groups.has(g))
  if (rule.allOf) return rule.allOf.every((g) => groups.has(g))
  return false
}

const grantKey = (g: Grant) => `${g.role}\u0000${g.unit}`

function grantsOf(rules: readonly AccessRule[]): Grant[] {
  const seen = new Map<string, Grant>()
  for (const rule of rules)
    for (const unit of rule.units)
      seen.set(grantKey({ role: rule.role, unit }), { role: rule.role, unit })
  return [...seen.values()]
}

/**
 * What to add and remove so a user holds exactly the grants its groups give. Only grants some
 * rule can give are ever removed: assignments made in the product by hand are left alone.
 */
export function planGrants(
  rules: readonly AccessRule[],
  groups: ReadonlySet<string>,
  current: readonly Grant[],
): { add: Grant[]; remove: Grant[]; wanted: Grant[] } {
  const wanted = grantsOf(rules.filter((r) => ruleMatches(r, groups)))
  const managed = new Set(grantsOf(rules).map(grantKey))
  const wantedKeys = new Set(wanted.map(grantKey))
  const held = new Set(current.map(grantKey))
  return {
    wanted,
    add: wanted.filter((g) => !held.has(grantKey(g))),
    remove: current.filter((g) => managed.has(grantKey(g)) && !wantedKeys.has(grantKey(g))),
  }
}
