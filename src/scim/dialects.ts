import { schemasOf } from './attribute-paths.ts'
import { normaliseOperation } from './dialect-patch.ts'
import {
  leniencyOf,
  selectSteps,
  type Dialect,
  type DialectSetting,
  type Steps,
} from './dialect-steps.ts'
import { findKey, normaliseObject } from './dialect-values.ts'
import { invalidSyntax, invalidValue } from './errors.ts'
import { findSchemaUrn, qualifyExtensionPath } from './patch-path.ts'
import { commonAttributes, resourceTypeDefinitions } from './schemas.ts'
import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type PatchOperation,
  type ResourceType,
  type ScimResource,
} from './types.ts'

export type { Dialect, DialectSetting } from './dialect-steps.ts'

/** Tenant-URL flags of Entra's provisioning service (Known issues doc, "aadOptscim062020"). */
const ENTRA_FLAGS = ['aadoptscim062020', 'azureadscimpatch062020', 'azureadscimpatch2017']

/**
 * Okta's User-Agent is `Okta SCIM Client 1.0.0`; Entra's tenant URL may carry `aadOptscim062020`;
 * else generic. For events and metrics: Entra without a flag looks generic, which is why
 * normalisation defaults to `auto` rather than to the detected dialect.
 */
export function detectDialect(
  userAgent: string | undefined,
  query: Record<string, unknown>,
): Dialect {
  if (userAgent !== undefined && /^okta scim client\b/i.test(userAgent.trim())) return 'okta'
  if (Object.keys(query).some((key) => ENTRA_FLAGS.includes(key.toLowerCase()))) return 'entra'
  return 'generic'
}

/**
 * POST/PUT bodies → the resource as RFC 7643 spells it: canonical names, no nulls, no readOnly
 * attributes (`id`, `meta`, `groups`), `schemas` = the core schema plus each extension present.
 * `password` is kept: the connector decides never to store it. Throws ScimError.
 */
export function normaliseResource(
  type: ResourceType,
  body: unknown,
  setting: DialectSetting,
): ScimResource {
  if (!isJsonObject(body)) throw invalidSyntax('The request body must be a JSON object')
  const steps = selectSteps(setting)
  const ignored = readSchemas(type, body, steps)
  const core = resourceTypeDefinitions[type].schema
  const coreValues: JsonObject = {}
  const extensions = new Map<string, JsonObject>()
  for (const [key, value] of Object.entries(body)) {
    const urn = findSchemaUrn(type, key)
    if (key.toLowerCase() === 'schemas' || ignored.has(key.toLowerCase())) continue
    const qualified = qualifyExtensionPath(type, key)
    if (urn === undefined && qualified !== key) addExtensionValue(extensions, qualified, key, value)
    else if (urn === undefined) coreValues[key] = value
    else if (value === null) continue
    else if (!isJsonObject(value)) throw invalidValue(`"${urn}" must be an object of attributes`)
    else if (urn === core.id) Object.assign(coreValues, value)
    else extensions.set(urn, { ...extensions.get(urn), ...value })
  }
  const leniency = leniencyOf(steps)
  const attributes = [...commonAttributes, ...core.attributes]
  const result: ScimResource = normaliseObject(attributes, coreValues, leniency, '')
  const schemas = [core.id]
  for (const schema of schemasOf(type).slice(1)) {
    const values = extensions.get(schema.id)
    const normalised = values && normaliseObject(schema.attributes, values, leniency, schema.id)
    if (!normalised || Object.keys(normalised).length === 0) continue
    result[schema.id] = normalised
    schemas.push(schema.id)
  }
  return { schemas, ...result }
}

/** Files `key` (an extension attribute sent without its URN) under its extension's object. */
function addExtensionValue(
  extensions: Map<string, JsonObject>,
  qualified: string,
  key: string,
  value: JsonValue,
): void {
  const urn = qualified.slice(0, -key.length - 1)
  extensions.set(urn, { ...extensions.get(urn), [key]: value })
}

/**
 * RFC 7643 §3: `schemas` is required and names the core schema. Returns the lower-cased URNs
 * the entra step drops, so that attributes keyed by them are dropped too.
 */
function readSchemas(type: ResourceType, body: JsonObject, steps: Steps): Set<string> {
  const schemas = findKey(body, 'schemas')
  if (!Array.isArray(schemas) || schemas.some((s) => typeof s !== 'string')) {
    throw invalidSyntax('"schemas" must be an array of schema URNs (RFC 7643 §3)')
  }
  const ignored = new Set<string>()
  for (const urn of schemas) {
    if (typeof urn !== 'string' || findSchemaUrn(type, urn)) continue
    if (!steps.unknownSchemaUrns) throw invalidSyntax(`Unknown schema "${urn}" for a ${type}`)
    ignored.add(urn.toLowerCase())
  }
  const core = resourceTypeDefinitions[type].schema.id
  if (!schemas.some((s) => typeof s === 'string' && s.toLowerCase() === core.toLowerCase())) {
    throw invalidSyntax(`"schemas" must include ${core}`)
  }
  return ignored
}

/**
 * PATCH Operations (already taken from the PatchOp body) → RFC 7644 §3.5.2 operations: lower-case
 * `op`, canonical paths, typed values, path-less values split into one operation per attribute,
 * replace with null as remove, Entra's member removal by value as filtered removes. Throws
 * ScimError.
 */
export function normalisePatchOperations(
  type: ResourceType,
  operations: readonly unknown[],
  setting: DialectSetting,
): PatchOperation[] {
  const steps = selectSteps(setting)
  return operations.flatMap((raw, index) => normaliseOperation(type, raw, index, steps))
}
