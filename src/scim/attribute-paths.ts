import type { ResourceType } from './types.ts'
import {
  commonAttributes,
  resourceTypeDefinitions,
  type AttributeDefinition,
  type SchemaDefinition,
} from './schemas.ts'

/** An attribute path (RFC 7644 §3.10) resolved against the resource type's schemas. */
export interface ResolvedPath {
  /** URN of the schema that defines the attribute (the core schema for id/externalId/meta). */
  schema: string
  attribute: AttributeDefinition
  subAttribute?: AttributeDefinition
  /** Canonical spelling: `name.givenName`, `urn:…:enterprise:2.0:User:manager.value`. */
  path: string
  /** Keys to walk in a resource object: `['name', 'givenName']`, `['urn:…:User', 'manager']`. */
  keys: string[]
}

/** Every schema a resource of this type may carry, core first. */
export function schemasOf(type: ResourceType): SchemaDefinition[] {
  const definition = resourceTypeDefinitions[type]
  return [definition.schema, ...definition.extensions.map((e) => e.schema)]
}

export function findAttribute(
  attributes: readonly AttributeDefinition[],
  name: string,
): AttributeDefinition | undefined {
  const lower = name.toLowerCase()
  return attributes.find((a) => a.name.toLowerCase() === lower)
}

/** Finds the extension schema whose URN is `urn`, case-insensitively (RFC 7643 §2.1). */
export function findExtensionSchema(type: ResourceType, urn: string): SchemaDefinition | undefined {
  const lower = urn.toLowerCase()
  return resourceTypeDefinitions[type].extensions
    .map((e) => e.schema)
    .find((s) => s.id.toLowerCase() === lower)
}

/**
 * Resolves `path` (case-insensitive, optionally URN-qualified) to its definition, or
 * `undefined` when the resource type has no such attribute.
 */
export function resolveAttributePath(type: ResourceType, path: string): ResolvedPath | undefined {
  const core = resourceTypeDefinitions[type].schema
  let schema = core
  let rest = path
  if (path.toLowerCase().startsWith('urn:')) {
    const match = schemasOf(type).find((s) =>
      path.toLowerCase().startsWith(`${s.id.toLowerCase()}:`),
    )
    if (!match) return undefined
    schema = match
    rest = path.slice(match.id.length + 1)
  }
  const parts = rest.split('.')
  if (parts.length > 2 || parts.some((p) => p === '')) return undefined
  const [name, subName] = parts as [string, string | undefined]
  const candidates =
    schema === core ? [...commonAttributes, ...schema.attributes] : schema.attributes
  const attribute = findAttribute(candidates, name)
  if (!attribute && schema === core) {
    // Entra sends some extension attributes unqualified (`manager`); RFC 7644 §3.10 lets an
    // unqualified name stand for the one schema that defines it.
    const owners = schemasOf(type)
      .slice(1)
      .filter((s) => findAttribute(s.attributes, name))
    const owner = owners.length === 1 ? owners[0] : undefined
    if (owner) return resolveAttributePath(type, `${owner.id}:${rest}`)
  }
  if (!attribute) return undefined
  const subAttribute = subName ? findAttribute(attribute.subAttributes ?? [], subName) : undefined
  if (subName && !subAttribute) return undefined
  const names = subAttribute ? [attribute.name, subAttribute.name] : [attribute.name]
  const prefix = schema === core ? [] : [schema.id]
  return {
    schema: schema.id,
    attribute,
    ...(subAttribute ? { subAttribute } : {}),
    path: (schema === core ? '' : `${schema.id}:`) + names.join('.'),
    keys: [...prefix, ...names],
  }
}
