import { findAttribute, resolveAttributePath } from './attribute-paths.ts'
import { invalidFilter } from './errors.ts'
import type { CompareOp, FilterNode, FilterValue } from './filter.ts'
import type { AttributeDefinition } from './schemas.ts'
import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type ResourceType,
  type ScimResource,
} from './types.ts'

/** An attribute's definition and every value it has in the resource (arrays flattened). */
interface Target {
  definition: AttributeDefinition
  values: JsonValue[]
}

type Lookup = (attrPath: string) => Target

/**
 * Evaluates a parsed filter against one resource, following the schema: caseExact decides
 * case folding, dateTime compares instants, multi-valued attributes match when any value
 * does (RFC 7644 §3.4.2.2). Attribute keys in the resource match case-insensitively.
 */
export function matchesFilter(
  type: ResourceType,
  filter: FilterNode,
  resource: ScimResource,
): boolean {
  return evaluate(filter, (attrPath) => {
    const resolved = resolveAttributePath(type, attrPath)
    if (!resolved) throw invalidFilter(`Unknown attribute '${attrPath}' in ${type} filter`)
    return {
      definition: resolved.subAttribute ?? resolved.attribute,
      values: collectValues(resource, resolved.keys),
    }
  })
}

function evaluate(node: FilterNode, lookup: Lookup): boolean {
  switch (node.op) {
    case 'and':
      return node.filters.every((f) => evaluate(f, lookup))
    case 'or':
      return node.filters.some((f) => evaluate(f, lookup))
    case 'not':
      return !evaluate(node.filter, lookup)
    case 'pr':
      return lookup(node.attrPath).values.some(isPresent)
    case '[]': {
      // RFC 7644 §3.4.2.2 valuePath: one element must satisfy the whole inner filter.
      const { definition, values } = lookup(node.attrPath)
      const subAttributes = definition.subAttributes ?? []
      return values.some(
        (element) =>
          isJsonObject(element) &&
          evaluate(node.valFilter, (name) => lookupSubAttribute(subAttributes, element, name)),
      )
    }
    default:
      return compareTarget(lookup(node.attrPath), node.op, node.compValue)
  }
}

function lookupSubAttribute(
  subAttributes: readonly AttributeDefinition[],
  element: JsonObject,
  name: string,
): Target {
  const definition = findAttribute(subAttributes, name)
  if (!definition) throw invalidFilter(`Unknown sub-attribute '${name}' in value filter`)
  return { definition, values: collectValues(element, [definition.name]) }
}

/** Walks `keys` through objects and arrays alike, so `emails.value` yields every address. */
function collectValues(root: JsonValue, keys: readonly string[]): JsonValue[] {
  let current: JsonValue[] = [root]
  for (const key of keys) {
    current = current
      .flatMap((v) => (Array.isArray(v) ? v : [v]))
      .flatMap((v) => {
        const found = isJsonObject(v) ? getKey(v, key) : undefined
        return found === undefined ? [] : [found]
      })
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]))
}

/** RFC 7643 §2.1: attribute names are case-insensitive; extension URNs are keys too. */
function getKey(object: JsonObject, key: string): JsonValue | undefined {
  if (Object.hasOwn(object, key)) return object[key]
  const lower = key.toLowerCase()
  const found = Object.keys(object).find((k) => k.toLowerCase() === lower)
  return found === undefined ? undefined : object[found]
}

/** RFC 7643 §2.5: null, "", [] and {} are all "unassigned". */
function isPresent(value: JsonValue): boolean {
  if (value === null || value === '') return false
  if (Array.isArray(value)) return value.some(isPresent)
  if (isJsonObject(value)) return Object.values(value).some(isPresent)
  return true
}

function compareTarget(target: Target, op: CompareOp, expected: FilterValue): boolean {
  let { definition, values } = target
  if (definition.type === 'complex') {
    // RFC 7644 §3.4.2.2: `emails co "x"` compares each element's `value`.
    const valueDefinition = findAttribute(definition.subAttributes ?? [], 'value')
    // Nothing to compare (the parser refuses this); only `ne` holds.
    if (!valueDefinition) return op === 'ne'
    definition = valueDefinition
    values = values.flatMap((v) => (isJsonObject(v) ? collectValues(v, ['value']) : [v]))
  }
  const present = values.filter(isPresent)
  if (expected === null) {
    // RFC 7643 §2.5: null means unassigned, so `eq null` asks for absence.
    if (op === 'eq') return present.length === 0
    return op === 'ne' && present.length > 0
  }
  if (op === 'ne') {
    // A missing attribute is "not equal" to any value, so `ne` matches it; otherwise any
    // value that differs matches, as for every operator on multi-valued attributes.
    return present.length === 0 || present.some((v) => !compareValue(definition, 'eq', v, expected))
  }
  // A missing attribute never matches eq/co/sw/ew/gt/ge/lt/le.
  return present.some((v) => compareValue(definition, op, v, expected))
}

type PositiveOp = Exclude<CompareOp, 'ne'>

function compareValue(
  definition: AttributeDefinition,
  op: PositiveOp,
  actual: JsonValue,
  expected: JsonValue,
): boolean {
  switch (definition.type) {
    case 'boolean':
      // RFC 7644 §3.4.2.2: booleans only compare for equality.
      return op === 'eq' && typeof actual === 'boolean' && actual === expected
    case 'integer':
    case 'decimal':
      return typeof actual === 'number' && typeof expected === 'number'
        ? compareOrdered(op, actual, expected)
        : false
    case 'dateTime': {
      // RFC 7644 §3.4.2.2: dateTime orders chronologically; substrings work on the text.
      if (op === 'co' || op === 'sw' || op === 'ew') {
        return compareText(op, actual, expected, definition.caseExact)
      }
      const a = toInstant(actual)
      const b = toInstant(expected)
      return a !== undefined && b !== undefined && compareOrdered(op, a, b)
    }
    default:
      return compareText(op, actual, expected, definition.caseExact)
  }
}

function compareText(op: PositiveOp, actual: JsonValue, expected: JsonValue, caseExact: boolean) {
  const a = toText(actual, caseExact)
  const b = toText(expected, caseExact)
  return a !== undefined && b !== undefined && compareOrdered(op, a, b)
}

function toText(value: JsonValue, caseExact: boolean): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined
  const text = String(value)
  return caseExact ? text : text.toLowerCase()
}

function toInstant(value: JsonValue): number | undefined {
  if (typeof value !== 'string') return undefined
  const ms = Date.parse(value)
  return isNaN(ms) ? undefined : ms
}

function compareOrdered<T extends string | number>(op: PositiveOp, a: T, b: T): boolean {
  switch (op) {
    case 'eq':
      return a === b
    case 'gt':
      return a > b
    case 'ge':
      return a >= b
    case 'lt':
      return a < b
    case 'le':
      return a <= b
    case 'co':
      return typeof a === 'string' && typeof b === 'string' && a.includes(b)
    case 'sw':
      return typeof a === 'string' && typeof b === 'string' && a.startsWith(b)
    case 'ew':
      return typeof a === 'string' && typeof b === 'string' && a.endsWith(b)
  }
}
