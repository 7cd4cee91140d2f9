import type { ScimPatchOperation } from 'scim-patch'
import { filter as compileFilter, type Filter } from 'scim2-parse-filter'
import { findAttribute } from './attribute-paths.ts'
import { noTarget } from './errors.ts'
import { runScimPatch } from './patch-library.ts'
import type { AttributeDefinition } from './schemas.ts'
import { walk, type PatchPath } from './patch-path.ts'
import { isJsonObject, type JsonObject, type JsonValue, type PatchOperation } from './types.ts'

/** RFC 7643 §2.1: an ATTRNAME starts with a letter, so no attribute can be called this. */
const MARK = '_gatewayPatchTarget'

/**
 * Applies an operation whose path has a value filter (`emails[type eq "work"].value`).
 * scim-patch splits a path at its last `:` even inside the filter (`members[value eq "urn:x"]`,
 * `phoneNumbers[value eq "tel:+1…"]` fail), and compares filter values case-exactly although
 * these sub-attributes are caseExact false (RFC 7643 §2.3.1, §4.1.2). So the elements are
 * selected here with scim2-parse-filter (the matcher scim-patch uses), marked, and the operation
 * goes to scim-patch as `attr[<mark> pr]…`, which it applies as it would the original.
 */
export function applyFilteredOperation(
  doc: JsonObject,
  operation: PatchOperation,
  target: PatchPath,
  filter: Filter,
): void {
  const parent = walk(doc, target.keys.slice(0, -1))
  const name = target.keys[target.keys.length - 1] ?? ''
  const current = parent?.[name]
  const elements = Array.isArray(current) ? current.filter(isJsonObject) : []
  const matches = elements.filter(selectorFor(target.attribute.subAttributes ?? [], filter))
  if (matches.length === 0) return applyWithoutMatch(doc, operation, target, filter)
  for (const element of matches) element[MARK] = true
  const sub = target.subAttribute ? `.${target.subAttribute.name}` : ''
  try {
    runScimPatch(doc, toLibraryOperation(operation, `${target.attributePath}[${MARK} pr]${sub}`))
  } finally {
    const after = parent?.[name]
    if (Array.isArray(after)) after.filter(isJsonObject).forEach((element) => delete element[MARK])
  }
}

/**
 * No element matches. `remove` is idempotent and succeeds: Okta removes members that may already
 * be gone, and RFC 7644 §3.5.2.2 names no error for it (noTarget is required of `replace`,
 * §3.5.2.3). `add` of a sub-attribute under an `eq` filter creates the element, as scim-patch
 * does (its issue #42) and as Entra expects for `phoneNumbers[type eq "mobile"].value`. Anything
 * else is `noTarget`.
 */
function applyWithoutMatch(
  doc: JsonObject,
  operation: PatchOperation,
  target: PatchPath,
  filter: Filter,
): void {
  if (operation.op === 'remove') return
  const sub = target.subAttribute
  if (operation.op === 'add' && sub && filter.op === 'eq' && filter.compValue !== null) {
    const element: JsonObject = { [filter.attrPath]: filter.compValue }
    if (operation.value !== undefined) element[sub.name] = operation.value
    runScimPatch(doc, { op: 'add', path: target.attributePath, value: [element] })
    return
  }
  throw noTarget(`No value of "${target.attributePath}" matches the filter of "${target.path}"`)
}

function toLibraryOperation(operation: PatchOperation, path: string): ScimPatchOperation {
  return operation.op === 'remove'
    ? { op: 'remove', path }
    : { op: operation.op, path, value: operation.value }
}

/** Case-insensitive matching unless a compared sub-attribute is caseExact (RFC 7644 §3.4.2.2). */
function selectorFor(subAttributes: readonly AttributeDefinition[], filter: Filter) {
  const exact = namesIn(filter).some((n) => findAttribute(subAttributes, n)?.caseExact === true)
  const test = compileFilter(exact ? filter : foldFilter(filter))
  return (element: JsonObject): boolean => test(exact ? element : foldCase(element))
}

function namesIn(filter: Filter): string[] {
  switch (filter.op) {
    case 'and':
    case 'or':
      return filter.filters.flatMap(namesIn)
    case 'not':
      return namesIn(filter.filter)
    default:
      return [filter.attrPath]
  }
}

function foldFilter(filter: Filter): Filter {
  switch (filter.op) {
    case 'and':
    case 'or':
      return { ...filter, filters: filter.filters.map(foldFilter) }
    case 'not':
      return { ...filter, filter: foldFilter(filter.filter) }
    case '[]':
    case 'pr':
      return filter
    default:
      return typeof filter.compValue === 'string'
        ? { ...filter, compValue: filter.compValue.toLowerCase() }
        : filter
  }
}

function foldCase(value: JsonValue): JsonValue {
  if (typeof value === 'string') return value.toLowerCase()
  if (Array.isArray(value)) return value.map(foldCase)
  if (!isJsonObject(value)) return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, foldCase(v)]))
}
