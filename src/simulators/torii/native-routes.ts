import type { Router } from 'express'
import { readIntegerQuery, readQuery } from '../common/body.ts'
import { SimulatorHttpError } from '../common/errors.ts'
import type { ToriiUsers } from './users.ts'

const DEFAULT_SIZE = 100
const MAX_SIZE = 1000

/** Cursors are the last id of the previous page, opaque to the caller. */
function readCursor(text: string | undefined): number {
  if (!text) return 0
  const decoded = Buffer.from(text, 'base64url').toString('utf8')
  if (!/^[0-9]{1,15}$/.test(decoded))
    throw new SimulatorHttpError(400, 'invalid_cursor', 'cursor is not valid')
  return Number(decoded)
}

/** T9/T10: Torii's native, read-only `GET /users` (every user, active or not) and `/roles` [A]. */
export function mountNativeRoutes(router: Router, users: ToriiUsers, roles: readonly string[]) {
  router.get('/users', (req, res) => {
    const size = readIntegerQuery(req.query.size) ?? DEFAULT_SIZE
    if (Number.isNaN(size) || size < 1 || size > MAX_SIZE)
      throw new SimulatorHttpError(400, 'invalid_size', `size must be from 1 to ${MAX_SIZE}`)
    const after = readCursor(readQuery(req.query.cursor))
    const all = users.list()
    const rest = all.filter((user) => user.id > after)
    const page = rest.slice(0, size)
    const last = page[page.length - 1]
    res.set('torii-version', '1.0.1').json({
      users: page.map((user) => ({
        id: user.id,
        email: user.userName,
        firstName: user.givenName,
        lastName: user.familyName,
        status: user.active ? 'active' : 'inactive',
      })),
      count: page.length,
      total: all.length,
      nextCursor:
        rest.length > size && last ? Buffer.from(String(last.id)).toString('base64url') : null,
    })
  })
  router.get('/roles', (_req, res) => {
    res.json({ roles })
  })
}
