import { findAttribute } from './attribute-paths.ts'
import { invalidSyntax, invalidValue } from './errors.ts'
import type { PatchPath } from './patch-path.ts'
import type { AttributeDefinition } from './schemas.ts'
import { isJsonObject, type JsonObject, type JsonValue } from './types.ts'

/** What the value walker may bend; all `false` is the strict RFC 7643 reading. */
export interface ValueLeniency {
  /** `"True"`/`"False"` (any case) for a boolean attribute. */
  booleanStrings: boolean
  /** A complex or multi-valued value serialised as a JSON string. */
  jsonStrings: boolean
  /** A single-valued complex attribute sent as a one-element array (Entra's manager). */
  singleValuedArrays: boolean
  /** A bare string for a complex attribute that has a `value` sub-attribute (a manager id). */
  bareReferences: boolean
}

export const STRICT_VALUES: ValueLeniency = {
  booleanStrings: false,
  jsonStrings: false,
  singleValuedArrays: false,
  bareReferences: false,
}

/** Finds `name` among the object's keys case-insensitively (RFC 7643 §2.1). */
export function findKey(object: JsonObject, name: string): JsonValue | undefined {
  const lower = name.toLowerCase()
  const key = Object.keys(object).find((k) => k.toLowerCase() === lower)
  return key === undefined ? undefined : object[key]
}

/**
 * Attributes of an object: names to their canonical case (RFC 7643 §2.1), explicit `null`s
 * dropped (§2.5: null and unassigned are the same state), readOnly attributes dropped (§2.2 and
 * RFC 7644 §3.5.1: values sent for them are ignored). An unknown name is `invalidSyntax`.
 */
export function normaliseObject(
  attributes: readonly AttributeDefinition[],
  object: JsonObject,
  leniency: ValueLeniency,
  where: string,
): JsonObject {
  const result: JsonObject = {}
  for (const [key, value] of Object.entries(object)) {
    const definition = findAttribute(attributes, key)
    const at = where === '' ? key : `${where}.${key}`
    if (!definition) throw invalidSyntax(`Unknown attribute "${at}"`)
    if (definition.name in result) throw invalidSyntax(`Attribute "${at}" is given twice`)
    if (definition.mutability === 'readOnly') continue
    const name = where === '' ? definition.name : `${where}.${definition.name}`
    const normalised = normaliseAttributeValue(definition, value, leniency, name)
    if (normalised !== undefined) result[definition.name] = normalised
  }
  return result
}

/** A whole attribute: an array for a multi-valued one. `undefined` means unassigned. */
export function normaliseAttributeValue(
  definition: AttributeDefinition,
  value: JsonValue,
  leniency: ValueLeniency,
  where: string,
): JsonValue | undefined {
  if (value === null) return undefined
  if (!definition.multiValued) return normaliseSingleValue(definition, value, leniency, where)
  const parsed = parseJsonString(definition, value, leniency, where)
  if (!Array.isArray(parsed)) throw invalidValue(`"${where}" is multi-valued and needs an array`)
  // `"roles":[]` stays an empty array: RFC 7643 §2.5 makes it equal to unassigned, and a PUT
  // that empties `members` must still say so to a connector that reads absence as "unchanged".
  return parsed.flatMap((item) => {
    const element = normaliseSingleValue(definition, item, leniency, where)
    return element === undefined ? [] : [element]
  })
}

/** One value: of a single-valued attribute, or one element of a multi-valued one. */
export function normaliseSingleValue(
  definition: AttributeDefinition,
  value: JsonValue,
  leniency: ValueLeniency,
  where: string,
): JsonValue | undefined {
  if (value === null) return undefined
  if (definition.type === 'complex') return normaliseComplex(definition, value, leniency, where)
  return normaliseSimple(definition, value, leniency, where)
}

/**
 * The value of an add/replace aimed at `target`: a simple value, one element (filtered path),
 * or an array for a whole multi-valued attribute (a single element is wrapped, RFC 7644
 * §3.5.2.1 "a new value is added").
 */
export function normaliseTargetValue(
  target: PatchPath,
  value: JsonValue,
  leniency: ValueLeniency,
): JsonValue {
  const { attribute, subAttribute, path } = target
  let result: JsonValue | undefined
  if (subAttribute) result = normaliseSingleValue(subAttribute, value, leniency, path)
  else if (target.filter || !attribute.multiValued) {
    result = normaliseSingleValue(attribute, value, leniency, path)
  } else {
    const parsed = parseJsonString(attribute, value, leniency, path)
    result = normaliseAttributeValue(
      attribute,
      Array.isArray(parsed) ? parsed : [parsed],
      leniency,
      path,
    )
  }
  if (result === undefined) throw invalidValue(`"${path}" needs a value`)
  return result
}

function normaliseComplex(
  definition: AttributeDefinition,
  value: JsonValue,
  leniency: ValueLeniency,
  where: string,
): JsonObject {
  let object = parseJsonString(definition, value, leniency, where)
  // Entra sends manager as `[{"$ref":…,"value":"<id>"}]` (Known issues doc, "Manager set").
  if (Array.isArray(object) && !definition.multiValued && leniency.singleValuedArrays) {
    if (object.length !== 1)
      throw invalidValue(`"${where}" is single-valued; got ${object.length} values`)
    object = object[0] ?? null
  }
  const subAttributes = definition.subAttributes ?? []
  if (
    typeof object === 'string' &&
    leniency.bareReferences &&
    findAttribute(subAttributes, 'value')
  ) {
    object = { value: object }
  }
  if (!isJsonObject(object)) throw invalidValue(`"${where}" is complex and needs an object`)
  return normaliseObject(subAttributes, object, leniency, where)
}

function normaliseSimple(
  definition: AttributeDefinition,
  value: JsonValue,
  leniency: ValueLeniency,
  where: string,
): JsonValue {
  switch (definition.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value
      // Entra without aadOptscim062020 sends `"False"` (Known issues doc, "Boolean as string").
      if (typeof value === 'string' && leniency.booleanStrings && /^(true|false)$/i.test(value)) {
        return value.toLowerCase() === 'true'
      }
      throw invalidValue(`"${where}" must be a boolean (true or false)`)
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return value
      throw invalidValue(`"${where}" must be an integer`)
    case 'decimal':
      if (typeof value === 'number') return value
      throw invalidValue(`"${where}" must be a number`)
    default:
      if (typeof value === 'string') return value
      throw invalidValue(`"${where}" must be a string`)
  }
}

/** Entra serialises complex values as JSON text (Captain-P-Goldfish/SCIM-SDK#516). */
function parseJsonString(
  definition: AttributeDefinition,
  value: JsonValue,
  leniency: ValueLeniency,
  where: string,
): JsonValue {
  const structured = definition.type === 'complex' || definition.multiValued
  if (!leniency.jsonStrings || !structured || typeof value !== 'string') return value
  if (!/^\s*[[{]/.test(value)) return value
  return parseJsonText(value, where)
}

/** Parses JSON text that stands for a value; text that is not JSON is `invalidValue`. */
export function parseJsonText(text: string, where: string): JsonValue {
  try {
    // JSON.parse yields JSON by definition.
    return JSON.parse(text) as JsonValue
  } catch {
    throw invalidValue(`"${where}" holds text that is not valid JSON`)
  }
}
