import { createHash, timingSafeEqual } from 'node:crypto'
import type { RequestHandler } from 'express'
import { unauthorized } from '../scim/errors.ts'

const digest = (text: string) => createHash('sha256').update(text).digest()

/** The admin credential (`GATEWAY_ADMIN_TOKEN`) as a bearer token, compared in constant time. */
export function adminAuth(adminToken: string): RequestHandler {
  const expected = digest(adminToken)
  return (req, _res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')
    if (match?.[1] && timingSafeEqual(digest(match[1]), expected)) next()
    else next(unauthorized('Missing or invalid admin credential'))
  }
}
