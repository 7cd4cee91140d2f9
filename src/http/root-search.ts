import { Router } from 'express'
import { applyProjection } from '../scim/attributes.ts'
import { toListResponse } from '../scim/discovery.ts'
import { invalidSyntax, ScimError } from '../scim/errors.ts'
import { parseFilter, type FilterNode } from '../scim/filter.ts'
import { readListParams } from '../scim/list-params.ts'
import { sortResources } from '../scim/sort.ts'
import type { ResourceType, ScimResource } from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'
import { sendScim } from './respond.ts'
import { connectionOf, contextOf, withLocation } from './scim-context.ts'

/**
 * RFC 7644 §3.4.3: `POST /.search` at the root searches every resource type the connection
 * has. A filter naming attributes one type lacks simply matches nothing of that type; at
 * most `maxResults` of each type are considered.
 */
export function rootSearchRoute(options: { defaultCount: number; maxResults: number }): Router {
  const router = Router()
  router.post('/.search', async (req, res) => {
    const body = req.body as unknown
    if (!isJsonObject(body)) throw invalidSyntax('A SearchRequest body must be a JSON object')
    const connection = connectionOf(res)
    const types = connection.service.resourceTypes
    const first = types[0] ?? 'User'
    const params = readListParams(
      body,
      { defaultCount: options.defaultCount, maxCount: options.maxResults, searchRequest: true },
      first,
    )
    const projection = {
      ...(params.attributes ? { attributes: params.attributes } : {}),
      ...(params.excludedAttributes ? { excludedAttributes: params.excludedAttributes } : {}),
    }
    const filters = new Map<ResourceType, FilterNode | undefined>()
    let firstError: ScimError | undefined
    for (const type of types) {
      try {
        filters.set(
          type,
          params.filter === undefined ? undefined : parseFilter(type, params.filter),
        )
      } catch (err) {
        if (!(err instanceof ScimError)) throw err
        firstError ??= err
      }
    }
    if (filters.size === 0 && firstError) throw firstError
    let total = 0
    const all: ScimResource[] = []
    for (const [type, filter] of filters) {
      const result = await connection.service.list(
        type,
        {
          ...(filter ? { filter } : {}),
          startIndex: 1,
          count: options.maxResults,
          sortOrder: params.sortOrder,
        },
        contextOf(req, res, projection),
      )
      total += result.totalResults
      all.push(
        ...result.resources.map((r) =>
          applyProjection(type, withLocation(res, type, r), projection),
        ),
      )
    }
    // RFC 7644 §3.4.3: one ordering across every type; the attribute resolves the same in each.
    const sorted =
      params.sortBy === undefined ? all : sortResources(first, all, params.sortBy, params.sortOrder)
    const page = sorted.slice(params.startIndex - 1, params.startIndex - 1 + params.count)
    sendScim(res, 200, toListResponse(page, { totalResults: total, startIndex: params.startIndex }))
  })
  return router
}
