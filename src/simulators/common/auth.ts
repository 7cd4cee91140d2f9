import type { RequestHandler, Response } from 'express'
import type { SimulatorClock } from './clock.ts'
import { SimulatorHttpError } from './errors.ts'

/** A bearer credential the product accepts, optionally with a fixed expiry. */
export interface SimulatorCredential {
  token: string
  /** ISO 8601; compared with the simulator clock. */
  expiresAt?: string
}

const CREDENTIAL_KEY = 'simulatorCredential'

/** The accepted credential's token, set by `requireBearer` (the rate limiter keys on it). */
export function readCredentialKey(res: Response): string {
  const value: unknown = res.locals[CREDENTIAL_KEY]
  return typeof value === 'string' ? value : ''
}

function unauthorized(message: string): SimulatorHttpError {
  return new SimulatorHttpError(401, 'unauthorized', message, { 'www-authenticate': 'Bearer' })
}

/** `Authorization: Bearer <token>` against the configured credentials; anything else → 401. */
export function requireBearer(
  credentials: readonly SimulatorCredential[],
  clock: SimulatorClock,
): RequestHandler {
  return (req, res, next) => {
    const match = /^Bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? '')
    const credential = match && credentials.find((candidate) => candidate.token === match[1])
    if (!credential) return next(unauthorized('Missing or invalid bearer credential'))
    if (credential.expiresAt && Date.parse(credential.expiresAt) <= clock.now().getTime())
      return next(unauthorized('The API key has expired'))
    res.locals[CREDENTIAL_KEY] = credential.token
    next()
  }
}
