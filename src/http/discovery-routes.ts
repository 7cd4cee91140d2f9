import { Router, type RequestHandler } from 'express'
import { endpointNotFound } from '../scim/errors.ts'
import {
  resourceTypes,
  schemaResources,
  serviceProviderConfig,
  toListResponse,
} from '../scim/discovery.ts'
import { sendScim } from './respond.ts'
import { baseUrlOf, connectionOf } from './scim-context.ts'

export interface DiscoveryOptions {
  maxResults: number
  maxPayloadSize: number
}

/**
 * RFC 7644 §4 discovery, per connection: a connection advertises only the resource types it
 * supports, so what the IdP reads is what the connection does.
 */
export function discoveryRoutes(options: DiscoveryOptions): Router {
  const router = Router()

  const config: RequestHandler = (_req, res) => {
    sendScim(res, 200, serviceProviderConfig({ ...options, baseUrl: baseUrlOf(res) }))
  }
  router.get('/ServiceProviderConfig', config)
  // Microsoft's SCIM validator asks for the pre-RFC name.
  router.get('/serviceConfiguration', config)

  router.get('/ResourceTypes', (_req, res) => {
    const all = resourceTypes(connectionOf(res).service.resourceTypes, baseUrlOf(res))
    sendScim(res, 200, toListResponse(all, { totalResults: all.length, startIndex: 1 }))
  })

  router.get('/ResourceTypes/:name', (req, res) => {
    const found = resourceTypes(connectionOf(res).service.resourceTypes, baseUrlOf(res)).find(
      (r) => r.name === req.params.name || r.id === req.params.name,
    )
    if (!found) throw endpointNotFound(`No resource type ${req.params.name}`)
    sendScim(res, 200, found)
  })

  router.get('/Schemas', (_req, res) => {
    const all = schemaResources(connectionOf(res).service.resourceTypes, baseUrlOf(res))
    sendScim(res, 200, toListResponse(all, { totalResults: all.length, startIndex: 1 }))
  })

  router.get('/Schemas/:urn', (req, res) => {
    const urn = String(req.params.urn).toLowerCase()
    const found = schemaResources(connectionOf(res).service.resourceTypes, baseUrlOf(res)).find(
      (s) => typeof s.id === 'string' && s.id.toLowerCase() === urn,
    )
    if (!found) throw endpointNotFound(`No schema ${req.params.urn}`)
    sendScim(res, 200, found)
  })

  return router
}
