import { resolveAttributePath } from '../scim/attribute-paths.ts'
import { invalidValue, mutability } from '../scim/errors.ts'
import type { JsonValue, ResourceType, ScimResource } from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'

/** A product constraint on one attribute, checked before any upstream call. */
export interface AttributeRule {
  /** Canonical SCIM path (`userName`, `name.givenName`). */
  path: string
  keys: string[]
  caseExact: boolean
  required?: boolean
  format?: 'email'
  immutable?: boolean
  /** Accepted and kept in the SCIM view, but only sent on create (later changes are ignored). */
  writeOnCreateOnly?: boolean
  /** Allowed values: a list, or a connection setting holding the list (`settings.roles`). */
  allowedValues?: readonly string[] | { setting: string }
  /** Value used on create when the IdP sends none (or an empty string). */
  default?: string
  /** On update, an absent value keeps the previous one instead of clearing it. */
  keepWhenAbsent?: boolean
  /** A multi-valued attribute (emails) must have a `primary: true` value on create. */
  requirePrimary?: boolean
}

export interface RuleSet {
  product: string
  resourceType: ResourceType
  rules: readonly AttributeRule[]
}

/** A change the product does not take: accepted, kept in the view, not sent. */
export interface IgnoredChange {
  attribute: string
  rule: string
}

// RFC 5321-shaped enough for provisioning: one @, a dotted domain, no spaces.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export function compileRule(
  type: ResourceType,
  path: string,
  spec: Omit<AttributeRule, 'path' | 'keys' | 'caseExact'>,
): AttributeRule | string {
  const resolved = resolveAttributePath(type, path)
  if (!resolved) return `rule on unknown attribute ${path}`
  const definition = resolved.subAttribute ?? resolved.attribute
  if (spec.requirePrimary) {
    if (!resolved.attribute.multiValued || resolved.subAttribute)
      return `requirePrimary on ${path} needs a multi-valued attribute such as emails`
    if (Object.keys(spec).some((k) => k !== 'requirePrimary'))
      return `rule on ${path} takes requirePrimary only`
  } else if (resolved.attribute.multiValued || definition.type === 'complex')
    return `rule on ${path} must name a simple attribute`
  return { ...spec, path: resolved.path, keys: resolved.keys, caseExact: definition.caseExact }
}

function read(resource: ScimResource, keys: readonly string[]): JsonValue | undefined {
  let current: JsonValue | undefined = resource
  for (const key of keys) {
    if (!isJsonObject(current)) return undefined
    current = current[key]
  }
  return current
}

function write(resource: ScimResource, keys: readonly string[], value: JsonValue): ScimResource {
  const [head, ...rest] = keys
  if (head === undefined) return resource
  if (rest.length === 0) return { ...resource, [head]: value }
  const inner = isJsonObject(resource[head]) ? resource[head] : {}
  return { ...resource, [head]: write(inner, rest, value) }
}

const isEmpty = (v: JsonValue | undefined) => v === undefined || v === null || v === ''

function allowedOf(
  rule: AttributeRule,
  settings: Readonly<Record<string, unknown>>,
): readonly string[] | undefined {
  const allowed = rule.allowedValues
  if (!allowed) return undefined
  if (!('setting' in allowed)) return allowed
  const listed: unknown = settings[allowed.setting]
  return Array.isArray(listed) ? listed.filter((v): v is string => typeof v === 'string') : []
}

function checkValue(
  set: RuleSet,
  rule: AttributeRule,
  value: JsonValue | undefined,
  settings: Readonly<Record<string, unknown>>,
) {
  if (isEmpty(value)) return
  if (rule.format === 'email' && (typeof value !== 'string' || !EMAIL.test(value))) {
    throw invalidValue(
      `${set.product} requires ${rule.path} to be an email address (rule: format email)`,
    )
  }
  const allowed = allowedOf(rule, settings)
  // Exact, case-sensitive match: the product compares role names that way.
  if (allowed && (typeof value !== 'string' || !allowed.includes(value))) {
    throw invalidValue(
      `${set.product} requires ${rule.path} to be one of ${allowed.join(', ')}; got ${JSON.stringify(value)} (rule: allowedValues)`,
    )
  }
}

/** Rules on a resource being created: required values, formats, allowed values, defaults. */
export function applyCreateRules(
  set: RuleSet,
  resource: ScimResource,
  settings: Readonly<Record<string, unknown>>,
): ScimResource {
  let result = resource
  for (const rule of set.rules) {
    let value = read(result, rule.keys)
    if (isEmpty(value) && rule.default !== undefined) {
      result = write(result, rule.keys, rule.default)
      value = rule.default
    }
    if (rule.required && isEmpty(value)) {
      throw invalidValue(`${set.product} requires ${rule.path} (rule: required)`)
    }
    if (rule.requirePrimary && !hasPrimary(value)) {
      throw invalidValue(
        `${set.product} requires a primary value in ${rule.path} (one with "primary": true and a value) (rule: requirePrimary)`,
      )
    }
    checkValue(set, rule, value, settings)
  }
  return result
}

function hasPrimary(value: JsonValue | undefined): boolean {
  return (
    Array.isArray(value) &&
    value.some((v) => isJsonObject(v) && v.primary === true && !isEmpty(v.value))
  )
}

function same(rule: AttributeRule, a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  // Allowed values are matched exactly, so a case-only change is a change to check.
  if (!rule.caseExact && !rule.allowedValues && typeof a === 'string' && typeof b === 'string')
    return a.toLowerCase() === b.toLowerCase()
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * Rules on a change from `before` to `after` (PUT or PATCH, already applied to the view).
 * Returns the resource to keep (absent values carried over where the rule says so) and the
 * changes the product will not take.
 */
export function applyUpdateRules(
  set: RuleSet,
  before: ScimResource,
  after: ScimResource,
  settings: Readonly<Record<string, unknown>>,
): { resource: ScimResource; ignored: IgnoredChange[] } {
  let result = after
  const ignored: IgnoredChange[] = []
  for (const rule of set.rules) {
    const old = read(before, rule.keys)
    let value = read(result, rule.keys)
    // The product treats an empty value like an absent one (Torii's userType).
    if (rule.keepWhenAbsent && isEmpty(value) && !isEmpty(old)) {
      result = write(result, rule.keys, old)
      value = old
    }
    if (same(rule, old, value) || rule.requirePrimary) continue
    if (rule.immutable) {
      throw mutability(`${rule.path} cannot be changed in ${set.product} (rule: immutable)`)
    }
    if (rule.required && isEmpty(value))
      throw invalidValue(`${set.product} requires ${rule.path} (rule: required)`)
    checkValue(set, rule, value, settings)
    if (rule.writeOnCreateOnly) ignored.push({ attribute: rule.path, rule: 'writeOnCreateOnly' })
  }
  return { resource: result, ignored }
}
