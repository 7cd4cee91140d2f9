import { randomUUID } from 'node:crypto'
import type { RequestHandler } from 'express'

const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/

/** Takes a sane incoming `X-Request-Id` (from a proxy) or makes one; echoes it back. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id')
    const id = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID()
    res.locals.requestId = id
    res.setHeader('X-Request-Id', id)
    next()
  }
}
