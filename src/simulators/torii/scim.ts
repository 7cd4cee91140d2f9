import { STATUS_CODES } from 'node:http'
import type { Request } from 'express'
import type { ErrorFormatter } from '../common/errors.ts'
import type { StoredToriiUser } from './users.ts'

export const SCIM_PATH = '/v1.0/scim/v2'
export const SCIM_CONTENT_TYPE = 'application/scim+json'
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error'
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

const SCIM_TYPES = new Set([
  'invalidFilter',
  'tooMany',
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidPath',
  'noTarget',
  'invalidValue',
  'invalidVers',
  'sensitive',
])

/**
 * SCIM paths answer RFC 7644 §3.12 errors (T4 leaves 429 and error bodies undocumented [A]);
 * the native read model answers `{error, message}` (T4).
 */
export const formatToriiError: ErrorFormatter = (error, req) => {
  if (!req.path.startsWith(`${SCIM_PATH}/`) && req.path !== SCIM_PATH)
    return {
      body: { error: STATUS_CODES[error.status] ?? 'Error', message: error.message },
      contentType: 'application/json',
    }
  const scimType = error.code === 'invalid_json' ? 'invalidSyntax' : error.code
  return {
    body: {
      schemas: [ERROR_SCHEMA],
      status: String(error.status),
      ...(SCIM_TYPES.has(scimType) ? { scimType } : {}),
      detail: error.message,
    },
    contentType: SCIM_CONTENT_TYPE,
  }
}

export function readOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`
}

/** A stored user as Torii's SCIM API answers it: `userType` is the role (T3). */
export function toScimUser(user: StoredToriiUser, origin: string) {
  return {
    schemas: [USER_SCHEMA],
    id: String(user.id),
    userName: user.userName,
    name: { givenName: user.givenName, familyName: user.familyName },
    active: user.active,
    userType: user.role,
    emails: [{ value: user.userName, primary: true }],
    meta: {
      resourceType: 'User',
      created: user.created,
      lastModified: user.lastModified,
      location: `${origin}${SCIM_PATH}/Users/${user.id}`,
    },
  }
}

export function toListResponse(resources: unknown[], total: number, startIndex: number) {
  return {
    schemas: [LIST_SCHEMA],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  }
}
