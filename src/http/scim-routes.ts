import { Router, type Request, type Response } from 'express'
import { applyProjection } from '../scim/attributes.ts'
import { toListResponse } from '../scim/discovery.ts'
import { normalisePatchOperations, normaliseResource } from '../scim/dialects.ts'
import { invalidSyntax } from '../scim/errors.ts'
import { parseFilter } from '../scim/filter.ts'
import { readListParams, type ListParamsOptions } from '../scim/list-params.ts'
import { readPatchRequest } from '../scim/patch.ts'
import type { ResourceType, ScimResource } from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'
import { sendScim } from './respond.ts'
import {
  connectionOf,
  contextOf,
  locationOf,
  projectionOf,
  requireType,
  withLocation,
} from './scim-context.ts'

export interface ResourceRoutesOptions {
  defaultCount: number
  maxResults: number
}

const etagOf = (resource: ScimResource): Record<string, string> => {
  const meta = resource.meta
  return isJsonObject(meta) && typeof meta.version === 'string' ? { ETag: meta.version } : {}
}

function queryOf(req: Request): Record<string, unknown> {
  return req.query
}

function bodyOf(req: Request): unknown {
  return req.body as unknown
}

/** The routes of one resource type (`/Users` or `/Groups`): HTTP in, ResourceService, HTTP out. */
export function resourceRoutes(type: ResourceType, options: ResourceRoutesOptions): Router {
  const router = Router()
  const listOptions: ListParamsOptions = {
    defaultCount: options.defaultCount,
    maxCount: options.maxResults,
  }

  const present = (res: Response, resource: ScimResource, source: Record<string, unknown>) =>
    applyProjection(type, withLocation(res, type, resource), projectionOf(source))

  async function list(
    req: Request,
    res: Response,
    source: Record<string, unknown>,
    searchRequest: boolean,
  ) {
    const connection = connectionOf(res)
    requireType(connection, type)
    const params = readListParams(source, { ...listOptions, searchRequest }, type)
    const projection = {
      ...(params.attributes ? { attributes: params.attributes } : {}),
      ...(params.excludedAttributes ? { excludedAttributes: params.excludedAttributes } : {}),
    }
    const result = await connection.service.list(
      type,
      {
        ...(params.filter !== undefined ? { filter: parseFilter(type, params.filter) } : {}),
        startIndex: params.startIndex,
        count: params.count,
        ...(params.sortBy !== undefined ? { sortBy: params.sortBy } : {}),
        sortOrder: params.sortOrder,
      },
      contextOf(req, res, projection),
    )
    const resources = result.resources.map((r) =>
      applyProjection(type, withLocation(res, type, r), projection),
    )
    sendScim(
      res,
      200,
      toListResponse(resources, {
        totalResults: result.totalResults,
        startIndex: params.startIndex,
      }),
    )
  }

  router.get('/', async (req, res) => list(req, res, queryOf(req), false))

  router.post('/.search', async (req, res) => {
    const body = bodyOf(req)
    if (!isJsonObject(body)) throw invalidSyntax('A SearchRequest body must be a JSON object')
    await list(req, res, body, true)
  })

  router.post('/', async (req, res) => {
    const connection = connectionOf(res)
    requireType(connection, type)
    const resource = normaliseResource(type, bodyOf(req), connection.dialect)
    const created = await connection.service.create(type, resource, contextOf(req, res, {}))
    const id = typeof created.id === 'string' ? created.id : ''
    sendScim(res, 201, present(res, created, queryOf(req)), {
      Location: locationOf(res, type, id),
      ...etagOf(created),
    })
  })

  router.get('/:id', async (req, res) => {
    const connection = connectionOf(res)
    requireType(connection, type)
    const projection = projectionOf(queryOf(req))
    const resource = await connection.service.get(
      type,
      req.params.id,
      contextOf(req, res, projection),
    )
    const etag = etagOf(resource)
    const ifNoneMatch = req.get('if-none-match')
    // RFC 7644 §3.14 / RFC 7232 §3.2: an unchanged resource answers 304 with no body.
    if (
      ifNoneMatch &&
      etag.ETag &&
      ifNoneMatch.split(',').some((t) => t.trim() === etag.ETag || t.trim() === '*')
    ) {
      res.status(304).setHeader('ETag', etag.ETag)
      res.end()
      return
    }
    sendScim(res, 200, applyProjection(type, withLocation(res, type, resource), projection), etag)
  })

  router.put('/:id', async (req, res) => {
    const connection = connectionOf(res)
    requireType(connection, type)
    const resource = normaliseResource(type, bodyOf(req), connection.dialect)
    const replaced = await connection.service.replace(
      type,
      req.params.id,
      resource,
      contextOf(req, res, {}),
    )
    sendScim(res, 200, present(res, replaced, queryOf(req)), etagOf(replaced))
  })

  router.patch('/:id', async (req, res) => {
    const connection = connectionOf(res)
    requireType(connection, type)
    const operations = normalisePatchOperations(
      type,
      readPatchRequest(bodyOf(req)),
      connection.dialect,
    )
    const query = queryOf(req)
    const projection = projectionOf(query)
    const patched = await connection.service.patch(
      type,
      req.params.id,
      operations,
      contextOf(req, res, projection),
    )
    // RFC 7644 §3.5.2: 204 unless the client asked for attributes back.
    if (projection.attributes || projection.excludedAttributes) {
      sendScim(res, 200, present(res, patched, query), etagOf(patched))
      return
    }
    res.status(204).set(etagOf(patched)).end()
  })

  router.delete('/:id', async (req, res) => {
    const connection = connectionOf(res)
    requireType(connection, type)
    await connection.service.delete(type, req.params.id, contextOf(req, res, {}))
    res.status(204).end()
  })

  return router
}
