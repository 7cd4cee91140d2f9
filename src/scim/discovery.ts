import {
  LIST_RESPONSE_SCHEMA,
  resourceTypeDefinitions,
  type AttributeDefinition,
  type SchemaDefinition,
} from './schemas.ts'
import type { JsonObject, ResourceType, ScimResource } from './types.ts'

export const SERVICE_PROVIDER_CONFIG_SCHEMA =
  'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType'
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema'

export interface ServiceProviderConfigOptions {
  documentationUri?: string
  /** The largest `count` a list answers (RFC 7643 §5 `filter.maxResults`). */
  maxResults: number
  /** The body limit in bytes, advertised as `bulk.maxPayloadSize`. */
  maxPayloadSize: number
  /** When given, `meta.location` is set (RFC 7643 §5 shows it; it is not required). */
  baseUrl?: string
}

export interface ListResponseOptions {
  totalResults: number
  startIndex: number
}

const trimSlash = (url: string): string => url.replace(/\/+$/, '')

/** Users before Groups, whatever order the connection lists them in; no duplicates. */
function orderTypes(types: readonly ResourceType[]): ResourceType[] {
  return (['User', 'Group'] as const).filter((t) => types.includes(t))
}

/**
 * RFC 7643 §5. Bulk is not supported (`maxOperations: 0`) but `maxPayloadSize` is still
 * required by the schema, so it carries the gateway's body limit.
 */
export function serviceProviderConfig(options: ServiceProviderConfigOptions): ScimResource {
  const meta: JsonObject = { resourceType: 'ServiceProviderConfig' }
  if (options.baseUrl !== undefined) {
    meta.location = `${trimSlash(options.baseUrl)}/ServiceProviderConfig`
  }
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    ...(options.documentationUri !== undefined
      ? { documentationUri: options.documentationUri }
      : {}),
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: options.maxPayloadSize },
    filter: { supported: true, maxResults: options.maxResults },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Authentication scheme using the OAuth Bearer Token Standard',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta,
  }
}

/** RFC 7643 §6: one ResourceType resource per supported type, Users first. */
export function resourceTypes(types: readonly ResourceType[], baseUrl: string): ScimResource[] {
  const base = trimSlash(baseUrl)
  return orderTypes(types).map((type) => {
    const definition = resourceTypeDefinitions[type]
    return {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: definition.name,
      name: definition.name,
      endpoint: definition.endpoint,
      description: definition.description,
      schema: definition.schema.id,
      schemaExtensions: definition.extensions.map((e) => ({
        schema: e.schema.id,
        required: e.required,
      })),
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${definition.name}` },
    }
  })
}

/** A copy in JSON form, so callers cannot alter the shared definitions. */
function toJsonAttribute(attribute: AttributeDefinition): JsonObject {
  const json: JsonObject = {
    name: attribute.name,
    type: attribute.type,
    multiValued: attribute.multiValued,
    description: attribute.description,
    required: attribute.required,
    caseExact: attribute.caseExact,
    mutability: attribute.mutability,
    returned: attribute.returned,
    uniqueness: attribute.uniqueness,
  }
  if (attribute.canonicalValues) json.canonicalValues = [...attribute.canonicalValues]
  if (attribute.referenceTypes) json.referenceTypes = [...attribute.referenceTypes]
  if (attribute.subAttributes) json.subAttributes = attribute.subAttributes.map(toJsonAttribute)
  return json
}

/**
 * RFC 7643 §7: the schemas of the given types only (a connection without Groups does not
 * advertise the Group schema). Entra reads `/Schemas` as a ListResponse; wrap with
 * `toListResponse`.
 */
export function schemaResources(types: readonly ResourceType[], baseUrl: string): ScimResource[] {
  const base = trimSlash(baseUrl)
  const schemas: SchemaDefinition[] = orderTypes(types).flatMap((type) => {
    const definition = resourceTypeDefinitions[type]
    return [definition.schema, ...definition.extensions.map((e) => e.schema)]
  })
  const unique = schemas.filter((s, i) => schemas.findIndex((o) => o.id === s.id) === i)
  return unique.map((schema) => ({
    schemas: [SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(toJsonAttribute),
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${schema.id}` },
  }))
}

function assertInteger(name: string, value: number, min: number): void {
  // Okta requires integers here; a fraction or NaN is a bug in the caller, not client input.
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`)
  }
}

/**
 * RFC 7644 §3.4.2: `itemsPerPage` is the number of resources in this page, and `Resources`
 * is present even when empty (Entra's Test Connection expects `"Resources": []`).
 */
export function toListResponse(
  resources: readonly ScimResource[],
  options: ListResponseOptions,
): ScimResource {
  assertInteger('totalResults', options.totalResults, 0)
  assertInteger('startIndex', options.startIndex, 1)
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: options.totalResults,
    itemsPerPage: resources.length,
    startIndex: options.startIndex,
    Resources: [...resources],
  }
}
