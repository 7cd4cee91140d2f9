import type { RequestHandler } from 'express'
import type { SimulatorHttpError } from '../common/errors.ts'
import { badRequest, forbidden } from './errors.ts'
import type { InfisicalOrg } from './org.ts'

export interface ScimRouteKind {
  /** A `/Groups` route. */
  groups: boolean
  /** A create, replace or update of a user or group (they need SSO). */
  write: boolean
}

/** The first precondition the organisation fails for this route, in Infisical's order. */
export function preconditionError(
  org: InfisicalOrg,
  route: ScimRouteKind,
): SimulatorHttpError | undefined {
  if (!org.plan.scim)
    return badRequest('Failed to use SCIM due to plan restriction. Upgrade plan to use SCIM.')
  if (!org.scimEnabled) return forbidden('SCIM is disabled for the organization')
  if (route.write && org.authMethod === null)
    return badRequest('Neither SAML or OIDC SSO is configured')
  if (route.groups && !org.plan.groups)
    return badRequest(
      'Failed to use SCIM groups due to plan restriction. Upgrade plan to use groups.',
    )
  return undefined
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH'])

/** Classifies a request relative to the SCIM base path. */
export function classifyScimRoute(method: string, path: string): ScimRouteKind {
  const groups = /^\/Groups(\/|$)/.test(path)
  const users = /^\/Users(\/|$)/.test(path)
  return { groups, write: (groups || users) && WRITE_METHODS.has(method) }
}

/** Checked on every SCIM route, after the token and before the handler. */
export function requireScimPreconditions(readOrg: () => InfisicalOrg): RequestHandler {
  return (req, _res, next) => {
    next(preconditionError(readOrg(), classifyScimRoute(req.method, req.path)))
  }
}
