import type { Request, RequestHandler, Response } from 'express'
import { parseAttributeList } from '../scim/attributes.ts'
import { endpointNotFound } from '../scim/errors.ts'
import type { Projection, RequestContext, ResourceType, ScimResource } from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'
import type { ResolvedConnection } from '../tenancy/connections.ts'

const ENDPOINTS: Record<ResourceType, string> = { User: 'Users', Group: 'Groups' }

/** Records the SCIM root of this request, before sub-routers change `req.baseUrl`. */
export function scimBase(): RequestHandler {
  return (req, res, next) => {
    res.locals.scimBaseUrl = `${req.protocol}://${req.host ?? 'localhost'}${req.baseUrl}`
    next()
  }
}

/** The SCIM base URL this request came in on, e.g. `https://host/scim/v2`. */
export function baseUrlOf(res: Response): string {
  return res.locals.scimBaseUrl ?? ''
}

export function locationOf(res: Response, type: ResourceType, id: string): string {
  return `${baseUrlOf(res)}/${ENDPOINTS[type]}/${encodeURIComponent(id)}`
}

/** Adds `meta.location` (RFC 7643 §3.1), which only the HTTP layer can know. */
export function withLocation(
  res: Response,
  type: ResourceType,
  resource: ScimResource,
): ScimResource {
  const id = typeof resource.id === 'string' ? resource.id : ''
  const meta = isJsonObject(resource.meta) ? resource.meta : {}
  return { ...resource, meta: { ...meta, location: locationOf(res, type, id) } }
}

export function projectionOf(source: Record<string, unknown>): Projection {
  const attributes = parseAttributeList(source.attributes, 'attributes')
  const excludedAttributes = parseAttributeList(source.excludedAttributes, 'excludedAttributes')
  return {
    ...(attributes ? { attributes } : {}),
    ...(excludedAttributes ? { excludedAttributes } : {}),
  }
}

export function contextOf(req: Request, res: Response, projection: Projection): RequestContext {
  const ifMatch = req.get('if-match')
  res.locals.trace ??= { upstream: [], ignored: [] }
  return {
    requestId: res.locals.requestId,
    projection,
    trace: res.locals.trace,
    ...(ifMatch ? { ifMatch } : {}),
  }
}

/** The authenticated connection; the auth middleware guarantees it on SCIM routes. */
export function connectionOf(res: Response): ResolvedConnection {
  const connection = res.locals.connection
  if (!connection) throw new Error('SCIM route reached without an authenticated connection')
  return connection
}

/** A resource type the connection does not support is not advertised and answers 404. */
export function requireType(connection: ResolvedConnection, type: ResourceType) {
  if (!connection.service.resourceTypes.includes(type)) {
    throw endpointNotFound(`${ENDPOINTS[type]} are not supported by connection ${connection.name}`)
  }
}
