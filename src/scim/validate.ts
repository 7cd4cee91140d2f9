import { Ajv } from 'ajv'
import type { ErrorObject, SchemaObject, ValidateFunction } from 'ajv'
import { invalidSyntax, invalidValue } from './errors.ts'
import { commonAttributes, resourceTypeDefinitions, type AttributeDefinition } from './schemas.ts'
import { isJsonObject, type ResourceType, type ScimResource } from './types.ts'

/** Checks a normalised resource body against the RFC 7643 schemas of its resource type. */
export interface ResourceValidator {
  /** Throws `invalidSyntax` for a body that is not an object, `invalidValue` for the rest. */
  validate(type: ResourceType, resource: ScimResource, mode: 'create' | 'replace'): void
}

/**
 * Length limits, chosen here because RFC 7643 sets none. `userName` (and a Group's
 * `displayName`) is a key products index and often an email (RFC 5321 §4.5.3.1.3 caps a path
 * at 256 octets); other strings get room for long addresses and URLs; `binary` values
 * (x509Certificates, base64 DER) need more. The body limit bounds everything else.
 */
export const MAX_KEY_LENGTH = 256
export const MAX_STRING_LENGTH = 4_096
export const MAX_BINARY_LENGTH = 65_536

const KEY_ATTRIBUTES: Record<ResourceType, string> = { User: 'userName', Group: 'displayName' }

function schemaForValue(attribute: AttributeDefinition, maxLength: number): SchemaObject {
  switch (attribute.type) {
    case 'boolean':
      return { type: 'boolean' }
    case 'integer':
      return { type: 'integer' }
    case 'decimal':
      return { type: 'number' }
    case 'binary':
      return { type: 'string', maxLength: MAX_BINARY_LENGTH }
    case 'complex':
      return schemaForObject(attribute.subAttributes ?? [], attribute.name === 'members')
    default:
      // string, reference and dateTime are all JSON strings (RFC 7643 §2.3).
      return attribute.required
        ? { type: 'string', minLength: 1, maxLength }
        : { type: 'string', maxLength }
  }
}

function schemaForAttribute(attribute: AttributeDefinition, maxLength: number): SchemaObject {
  const value = schemaForValue(attribute, maxLength)
  return attribute.multiValued ? { type: 'array', items: value } : value
}

/**
 * A complex value. Group `members[].value` must be a non-empty id: a member without one names
 * nobody (RFC 7643 §4.2). `additionalProperties` stays open because unknown attributes were
 * refused by the normaliser, which knows the dialects; this module checks only types.
 */
function schemaForObject(
  attributes: readonly AttributeDefinition[],
  isMemberList = false,
): SchemaObject {
  const properties: Record<string, SchemaObject> = {}
  for (const attribute of attributes) {
    properties[attribute.name] = schemaForAttribute(attribute, MAX_STRING_LENGTH)
  }
  if (isMemberList) properties.value = { type: 'string', minLength: 1, maxLength: MAX_KEY_LENGTH }
  return {
    type: 'object',
    properties,
    ...(isMemberList ? { required: ['value'] } : {}),
    additionalProperties: true,
  }
}

/** Builds the JSON Schema for one resource type from the definitions in `schemas.ts`. */
export function buildResourceSchema(type: ResourceType): SchemaObject {
  const definition = resourceTypeDefinitions[type]
  const keyAttribute = KEY_ATTRIBUTES[type]
  const properties: Record<string, SchemaObject> = {
    schemas: { type: 'array', items: { type: 'string', maxLength: MAX_STRING_LENGTH } },
  }
  for (const attribute of [...commonAttributes, ...definition.schema.attributes]) {
    const max = attribute.name === keyAttribute ? MAX_KEY_LENGTH : MAX_STRING_LENGTH
    properties[attribute.name] = schemaForAttribute(attribute, max)
  }
  // Extension attributes live under their schema URN (RFC 7643 §3.3).
  for (const extension of definition.extensions) {
    properties[extension.schema.id] = schemaForObject(extension.schema.attributes)
  }
  // RFC 7643 §2.2 `required`, enforced at the top level only: no sub-attribute is required.
  const required = definition.schema.attributes.filter((a) => a.required).map((a) => a.name)
  return { type: 'object', properties, required, additionalProperties: true }
}

/** `/name/givenName` → `name.givenName`; `/emails/0/value` → `emails.value`; URNs keep `:`. */
function toAttributePath(instancePath: string, extra?: string): string {
  const segments = instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .filter((s) => !/^\d+$/.test(s))
  if (extra !== undefined) segments.push(extra)
  const [first, ...rest] = segments
  if (first === undefined) return 'resource'
  if (first.toLowerCase().startsWith('urn:')) {
    return rest.length === 0 ? first : `${first}:${rest.join('.')}`
  }
  return segments.join('.')
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  boolean: 'a boolean',
  integer: 'an integer',
  number: 'a number',
  object: 'a complex value (an object)',
  array: 'multi-valued (an array)',
}

function describeError(error: ErrorObject): string {
  const { instancePath, keyword, params } = error
  const inArray = /\/\d+$/.test(instancePath)
  if (keyword === 'required') {
    return `${toAttributePath(instancePath, String(params.missingProperty))} is required`
  }
  const path = toAttributePath(instancePath)
  if (keyword === 'type') {
    const expected = TYPE_NAMES[String(params.type)] ?? String(params.type)
    return inArray ? `each value of ${path} must be ${expected}` : `${path} must be ${expected}`
  }
  if (keyword === 'minLength') return `${path} must not be empty`
  if (keyword === 'maxLength') {
    return `${path} must be at most ${String(params.limit)} characters`
  }
  return `${path} is invalid`
}

/**
 * Compiles one validator per resource type, once (ajv compiles to code; DESIGN.md measures
 * ~850k validations/s). `allErrors` so one answer names every bad attribute.
 */
export function createResourceValidator(): ResourceValidator {
  const ajv = new Ajv({ allErrors: true, strict: true })
  const validators = {} as Record<ResourceType, ValidateFunction>
  for (const type of Object.keys(resourceTypeDefinitions) as ResourceType[]) {
    validators[type] = ajv.compile(buildResourceSchema(type))
  }
  return {
    // `mode` is part of the contract, but both modes check the same things: a PUT body is a
    // whole resource (RFC 7644 §3.5.1), with the same required attributes as a POST (§3.3).
    // readOnly attributes are ignored by the service, yet still type-checked here, so a
    // malformed `meta` or `groups` is refused rather than carried along.
    validate(type, resource) {
      if (!isJsonObject(resource)) {
        throw invalidSyntax(`The request body must be a JSON object representing a ${type}`)
      }
      const validator = validators[type]
      if (validator(resource)) return
      const messages = [...new Set((validator.errors ?? []).map(describeError))]
      throw invalidValue(messages.join('; '))
    },
  }
}
