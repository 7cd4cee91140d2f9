import type { FilterNode } from './filter.ts'

/** JSON as it arrives from and leaves for the wire. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject
export interface JsonObject {
  [key: string]: JsonValue
}

export type ResourceType = 'User' | 'Group'

/** A SCIM resource as the core handles it: a JSON object with `schemas`, `id` and `meta`. */
export type ScimResource = JsonObject

/** RFC 7644 §3.5.2, after dialect normalisation: lower-case `op`, booleans as booleans. */
export interface PatchOperation {
  op: 'add' | 'replace' | 'remove'
  path?: string
  value?: JsonValue
}

export type SortOrder = 'ascending' | 'descending'

/** What the client asked to see (RFC 7644 §3.4.2.5); services use it to skip loading members. */
export interface Projection {
  attributes?: readonly string[]
  excludedAttributes?: readonly string[]
}

/** RFC 7644 §3.4.2, with attribute names already resolved to their canonical form. */
export interface ListQuery {
  filter?: FilterNode
  startIndex: number
  count: number
  sortBy?: string
  sortOrder: SortOrder
}

export interface ListResult {
  totalResults: number
  resources: ScimResource[]
}

/** What a service did, for the provisioning log: filled by the service, read by the HTTP layer. */
export interface RequestTrace {
  upstream: { method: string; path: string; status: number | string; ms: number; attempt: number }[]
  /** Changes accepted and kept but not sent, with the rule that dropped them. */
  ignored: { attribute: string; rule: string }[]
  /** Set when the outcome is not what the status alone says, e.g. `deactivated` for a DELETE. */
  outcome?: string
  /** Who the operation was about (userName or displayName), when the service knows it. */
  subject?: string
  resourceId?: string
}

/** Facts about the request a service may need; never holds a credential. */
export interface RequestContext {
  requestId: string
  projection: Projection
  trace: RequestTrace
  /** `If-Match` value (RFC 7644 §3.14) to check against `meta.version`, when sent. */
  ifMatch?: string
}

/**
 * The one contract behind the SCIM routes: every connection (directory, translate, proxy)
 * implements it for the resource types it supports.
 */
export interface ResourceService {
  readonly resourceTypes: readonly ResourceType[]
  create(type: ResourceType, resource: ScimResource, ctx: RequestContext): Promise<ScimResource>
  get(type: ResourceType, id: string, ctx: RequestContext): Promise<ScimResource>
  replace(
    type: ResourceType,
    id: string,
    resource: ScimResource,
    ctx: RequestContext,
  ): Promise<ScimResource>
  patch(
    type: ResourceType,
    id: string,
    operations: readonly PatchOperation[],
    ctx: RequestContext,
  ): Promise<ScimResource>
  delete(type: ResourceType, id: string, ctx: RequestContext): Promise<void>
  list(type: ResourceType, query: ListQuery, ctx: RequestContext): Promise<ListResult>
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
