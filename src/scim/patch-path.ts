import { parse, stringify, type Filter } from 'scim2-parse-filter'
import { findAttribute, resolveAttributePath, schemasOf } from './attribute-paths.ts'
import { invalidPath, mutability } from './errors.ts'
import { commonAttributes, type AttributeDefinition } from './schemas.ts'
import { isJsonObject, type JsonObject, type JsonValue, type ResourceType } from './types.ts'

/** A PATCH `path` (RFC 7644 §3.5.2: `attrPath` / `valuePath [subAttr]`), resolved, canonical. */
export interface PatchPath {
  attribute: AttributeDefinition
  /** Canonical attribute path before any filter: `emails`, `urn:…:enterprise:2.0:User:manager`. */
  attributePath: string
  /** Keys to walk to the attribute: `['emails']`, `['urn:…:enterprise:2.0:User', 'manager']`. */
  keys: string[]
  /** The value filter between the brackets, its attribute names canonical. */
  filter?: Filter
  subAttribute?: AttributeDefinition
  /** The whole path in canonical spelling, as handed on: `emails[type eq "work"].value`. */
  path: string
}

/**
 * Resolves a PATCH path against the resource type's schemas. Attribute names are matched
 * case-insensitively (RFC 7643 §2.1). Unknown attributes and malformed paths are `invalidPath`
 * (RFC 7644 §3.12).
 */
export function parsePatchPath(type: ResourceType, raw: string): PatchPath {
  const path = qualifyExtensionPath(type, raw.trim())
  if (path === '') throw invalidPath('The PATCH path is empty')
  const open = path.indexOf('[')
  if (open < 0) {
    if (path.includes(']')) throw invalidPath(`Unbalanced brackets in path "${raw}"`)
    const resolved = resolveAttributePath(type, path)
    if (!resolved) throw invalidPath(`Unknown attribute in path "${raw}"`)
    const { attribute, subAttribute } = resolved
    const attributePath = subAttribute
      ? resolved.path.slice(0, -subAttribute.name.length - 1)
      : resolved.path
    const keys = subAttribute ? resolved.keys.slice(0, -1) : resolved.keys
    return {
      attribute,
      attributePath,
      keys,
      path: resolved.path,
      ...(subAttribute ? { subAttribute } : {}),
    }
  }
  const close = findClosingBracket(path, open)
  if (close < 0) throw invalidPath(`Unbalanced brackets in path "${raw}"`)
  const resolved = resolveAttributePath(type, path.slice(0, open))
  if (!resolved) throw invalidPath(`Unknown attribute in path "${raw}"`)
  const { attribute } = resolved
  if (resolved.subAttribute || !attribute.multiValued) {
    throw invalidPath(`A value filter needs a multi-valued attribute, in path "${raw}"`)
  }
  const filter = parseValueFilter(attribute, path.slice(open + 1, close), raw)
  const rest = path.slice(close + 1)
  let subAttribute: AttributeDefinition | undefined
  if (rest !== '') {
    subAttribute = rest.startsWith('.')
      ? findAttribute(attribute.subAttributes ?? [], rest.slice(1))
      : undefined
    if (!subAttribute) throw invalidPath(`Unknown sub-attribute after the filter in path "${raw}"`)
  }
  return {
    attribute,
    attributePath: resolved.path,
    keys: resolved.keys,
    filter,
    ...(subAttribute ? { subAttribute } : {}),
    path: `${resolved.path}[${stringify(filter)}]${subAttribute ? `.${subAttribute.name}` : ''}`,
  }
}

/** RFC 7643 §2.2: a readOnly attribute "SHALL NOT be modified"; a PATCH at one is `mutability`. */
export function assertWritable(target: PatchPath): void {
  const readOnly = [target.attribute, target.subAttribute].find((a) => a?.mutability === 'readOnly')
  if (readOnly) throw mutability(`Attribute "${target.path}" is readOnly and cannot be modified`)
}

/** Finds the `]` matching the `[` at `open`, skipping brackets inside quoted filter values. */
function findClosingBracket(path: string, open: number): number {
  let quoted = false
  for (let i = open + 1; i < path.length; i++) {
    const c = path[i]
    if (quoted) {
      if (c === '\\') i++
      else if (c === '"') quoted = false
    } else if (c === '"') quoted = true
    else if (c === '[') return -1
    else if (c === ']') return i
  }
  return -1
}

function parseValueFilter(attribute: AttributeDefinition, text: string, raw: string): Filter {
  if (text.trim() === '') throw invalidPath(`Empty value filter in path "${raw}"`)
  let filter: Filter
  try {
    filter = parse(text)
  } catch {
    throw invalidPath(`Malformed value filter in path "${raw}"`)
  }
  return canonicaliseFilter(attribute, filter, raw)
}

/** Names in a filter are sub-attributes of the filtered attribute (RFC 7644 §3.10 valFilter). */
function canonicaliseFilter(attribute: AttributeDefinition, filter: Filter, raw: string): Filter {
  switch (filter.op) {
    case 'and':
    case 'or':
      return {
        ...filter,
        filters: filter.filters.map((f) => canonicaliseFilter(attribute, f, raw)),
      }
    case 'not':
      return { ...filter, filter: canonicaliseFilter(attribute, filter.filter, raw) }
    case '[]':
      throw invalidPath(`Nested value filters are not allowed, in path "${raw}"`)
    default: {
      const sub = findAttribute(attribute.subAttributes ?? [], filter.attrPath)
      if (!sub)
        throw invalidPath(`Unknown attribute "${filter.attrPath}" in the filter of "${raw}"`)
      return { ...filter, attrPath: sub.name }
    }
  }
}

/**
 * An attribute name without a URN stands for the one schema that defines it (the reading of
 * RFC 7644 §3.10 that resolveAttributePath takes). Entra's tutorial relies on it: it sets the
 * manager with `"path":"manager"` and posts `"department":null` at the top level. Qualifies
 * `path` when its attribute is not a core one and exactly one extension defines it.
 */
export function qualifyExtensionPath(type: ResourceType, path: string): string {
  if (path.toLowerCase().startsWith('urn:')) return path
  const name = path.split(/[.[]/, 1)[0] ?? ''
  const [core, ...extensions] = schemasOf(type)
  if (!core || findAttribute([...commonAttributes, ...core.attributes], name)) return path
  const owners = extensions.filter((schema) => findAttribute(schema.attributes, name))
  return owners.length === 1 && owners[0] ? `${owners[0].id}:${path}` : path
}

/** True when `key` is a schema URN this resource type carries (core or extension). */
export function findSchemaUrn(type: ResourceType, key: string): string | undefined {
  const lower = key.toLowerCase()
  return schemasOf(type).find((s) => s.id.toLowerCase() === lower)?.id
}

export interface PathlessEntry {
  path: string
  value: JsonValue
  /** The key was itself a path (`name.givenName`, `urn:…:User:department`), not a name. */
  qualified: boolean
}

/**
 * RFC 7644 §3.5.2.1/§3.5.2.3: a path-less add/replace targets the resource itself and its value
 * holds attributes. One entry per attribute, so each goes through the same path checks as an
 * explicit path; an extension URN key whose value is an object expands into its attributes.
 * `schemas` is not an attribute of the value and is skipped.
 */
export function expandPathlessValue(type: ResourceType, value: JsonObject): PathlessEntry[] {
  const entries: PathlessEntry[] = []
  for (const [key, entry] of Object.entries(value)) {
    if (key.toLowerCase() === 'schemas') continue
    const urn = findSchemaUrn(type, key)
    if (urn && isJsonObject(entry)) {
      for (const [subKey, subValue] of Object.entries(entry)) {
        entries.push({ path: `${urn}:${subKey}`, value: subValue, qualified: false })
      }
    } else {
      const qualified = key.includes('.') || key.toLowerCase().startsWith('urn:')
      entries.push({ path: key, value: entry, qualified })
    }
  }
  return entries
}

/** The object reached by walking `keys` from `doc`, if every step is an object. */
export function walk(doc: JsonObject, keys: readonly string[]): JsonObject | undefined {
  let node: JsonValue | undefined = doc
  for (const key of keys) node = isJsonObject(node) ? node[key] : undefined
  return isJsonObject(node) ? node : undefined
}

/**
 * A filter selecting one listed element, for a remove that names elements in its value: the
 * element's `value` when it has one (members, emails), else all its simple sub-attributes.
 * `$ref` is left out: the filter grammar scim2-parse-filter reads has no `$` in names.
 */
export function selectorOf(item: JsonValue): Filter | undefined {
  if (!isJsonObject(item)) return undefined
  const simple = Object.entries(item).flatMap(([attrPath, compValue]) =>
    attrPath !== '$ref' &&
    (typeof compValue === 'string' ||
      typeof compValue === 'number' ||
      typeof compValue === 'boolean')
      ? [{ op: 'eq' as const, attrPath, compValue }]
      : [],
  )
  const byValue = simple.filter((c) => c.attrPath === 'value')
  const parts = byValue.length > 0 ? byValue : simple
  if (parts.length <= 1) return parts[0]
  return { op: 'and', filters: parts }
}
