import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import type { RequestHandler } from 'express'
import { readCredentialKey, type SimulatorCredential } from '../common/auth.ts'
import type { SimulatorClock } from '../common/clock.ts'
import { unauthorized } from './errors.ts'
import type { InfisicalSettings } from './settings.ts'

/** SCIM tokens work on the SCIM server only; user JWTs on the rest of the API only. */
export type TokenFamily = 'scim' | 'user'

interface IssuedToken {
  createdMs: number
  /** 0 = never expires. */
  ttlDays: number
}

export interface InfisicalTokens {
  /** The live list the shared frame checks bearer tokens against; issued tokens join it. */
  credentials: readonly SimulatorCredential[]
  familyOf(token: string): TokenFamily | undefined
  /** Issues a SCIM token (`POST /api/v1/scim/scim-tokens`). */
  issue(ttlDays: number): string
  isExpired(token: string): boolean
  reset(): void
}

const DAY_MS = 86_400_000

const WRONG_FAMILY: Record<TokenFamily, string> = {
  scim: 'This route accepts SCIM tokens only',
  user: 'This route accepts user tokens only',
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

export function createInfisicalTokens(
  settings: InfisicalSettings,
  clock: SimulatorClock,
): InfisicalTokens {
  const scim = new Set(settings.scimTokens)
  const user = new Set(settings.userTokens)
  const fixed = [...scim, ...user].map((token) => ({ token }))
  const credentials: SimulatorCredential[] = [...fixed]
  let issued = new Map<string, IssuedToken>()
  // Issued tokens are JWTs, as Infisical's are, signed with a secret of this run.
  const secret = randomBytes(32)

  const sign = (payload: Record<string, unknown>) => {
    const body = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(payload)}`
    return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`
  }

  return {
    credentials,
    familyOf: (token) => {
      if (scim.has(token) || issued.has(token)) return 'scim'
      return user.has(token) ? 'user' : undefined
    },
    issue: (ttlDays) => {
      const createdMs = clock.now().getTime()
      const token = sign({
        scimTokenId: randomUUID(),
        authTokenType: 'scimToken',
        iat: Math.floor(createdMs / 1000),
      })
      issued.set(token, { createdMs, ttlDays })
      credentials.push({ token })
      return token
    },
    isExpired: (token) => {
      const entry = issued.get(token)
      if (!entry || entry.ttlDays <= 0) return false
      return clock.now().getTime() > entry.createdMs + entry.ttlDays * DAY_MS
    },
    reset: () => {
      issued = new Map()
      credentials.splice(fixed.length)
    },
  }
}

/**
 * After the shared bearer check: the token must belong to `family`, and an issued SCIM token must
 * be within its `ttlDays`, read on the simulator clock.
 */
export function requireTokenFamily(tokens: InfisicalTokens, family: TokenFamily): RequestHandler {
  return (_req, res, next) => {
    const token = readCredentialKey(res)
    if (tokens.familyOf(token) !== family) return next(unauthorized(WRONG_FAMILY[family]))
    if (tokens.isExpired(token)) return next(unauthorized('The access token expired'))
    next()
  }
}
