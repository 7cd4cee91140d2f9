import type { Request, Response, Router } from 'express'
import { readOrigin, SCIM_CONTENT_TYPE, SCIM_PATH, toListResponse, USER_SCHEMA } from './scim.ts'
import { userNotFound } from './users.ts'

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType'
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema'

function attribute(name: string, type: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    type,
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...extra,
  }
}

/** T3: the attributes Torii maps; userName is the only filter and cannot change (T7). */
const USER_SCHEMA_BODY = {
  schemas: [SCHEMA_SCHEMA],
  id: USER_SCHEMA,
  name: 'User',
  description: 'Torii user',
  attributes: [
    attribute('userName', 'string', {
      required: true,
      mutability: 'immutable',
      uniqueness: 'server',
    }),
    attribute('name', 'complex', {
      subAttributes: [attribute('givenName', 'string'), attribute('familyName', 'string')],
    }),
    attribute('active', 'boolean'),
    attribute('userType', 'string', { caseExact: true }),
    attribute('emails', 'complex', {
      multiValued: true,
      mutability: 'readOnly',
      subAttributes: [attribute('value', 'string'), attribute('primary', 'boolean')],
    }),
  ],
}

function resourceType(origin: string) {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    schema: USER_SCHEMA,
    meta: { resourceType: 'ResourceType', location: `${origin}${SCIM_PATH}/ResourceTypes/User` },
  }
}

function sendScim(res: Response, body: unknown): void {
  res.type(SCIM_CONTENT_TYPE).send(JSON.stringify(body))
}

/** T1: ServiceProviderConfig, ResourceTypes and Schemas — Users only, no Groups. */
export function mountDiscoveryRoutes(router: Router): void {
  router.get('/ServiceProviderConfig', (req: Request, res) => {
    sendScim(res, {
      schemas: [SPC_SCHEMA],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: false },
      authenticationSchemes: [
        { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Torii API key' },
      ],
      meta: {
        resourceType: 'ServiceProviderConfig',
        location: `${readOrigin(req)}${SCIM_PATH}/ServiceProviderConfig`,
      },
    })
  })
  router.get('/ResourceTypes', (req, res) => {
    sendScim(res, toListResponse([resourceType(readOrigin(req))], 1, 1))
  })
  router.get('/ResourceTypes/:name', (req, res) => {
    if (req.params.name !== 'User') throw userNotFound(req.params.name)
    sendScim(res, resourceType(readOrigin(req)))
  })
  router.get('/Schemas', (_req, res) => {
    sendScim(res, toListResponse([USER_SCHEMA_BODY], 1, 1))
  })
  router.get('/Schemas/:id', (req, res) => {
    if (req.params.id !== USER_SCHEMA) throw userNotFound(req.params.id)
    sendScim(res, USER_SCHEMA_BODY)
  })
}
