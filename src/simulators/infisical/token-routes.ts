import type { Router } from 'express'
import { isRecord } from '../common/body.ts'
import { badRequest, validationFailure } from './errors.ts'
import { requireOrg } from './native-routes.ts'
import type { InfisicalStore } from './store.ts'
import { requireTokenFamily, type InfisicalTokens } from './tokens.ts'

const MAX_TTL_DAYS = 730

function readTtlDays(value: unknown): number {
  if (value === undefined) return 0
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TTL_DAYS)
    throw validationFailure(`ttlDays must be a number from 0 to ${MAX_TTL_DAYS}`)
  return value
}

/** `POST /scim-tokens` (relative to `/api/v1/scim`): an org admin's user token makes a SCIM token. */
export function mountScimTokenRoutes(
  router: Router,
  store: InfisicalStore,
  tokens: InfisicalTokens,
): void {
  router.post('/scim-tokens', requireTokenFamily(tokens, 'user'), (req, res) => {
    const body: unknown = req.body
    if (!isRecord(body) || typeof body.organizationId !== 'string')
      throw validationFailure('organizationId is required')
    if (body.description !== undefined && typeof body.description !== 'string')
      throw validationFailure('description must be a string')
    const ttlDays = readTtlDays(body.ttlDays)
    requireOrg(store, body.organizationId)
    if (!store.org.get().plan.scim)
      throw badRequest(
        'Failed to create a SCIM token due to plan restriction. Upgrade plan to create a SCIM token.',
      )
    res.json({ scimToken: tokens.issue(ttlDays) })
  })
}
