import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Dashboard sessions: a signed cookie `expires.nonce.signature`. The key derives from the admin
 * credential, so every replica accepts a session and rotating the credential ends them all.
 * CSRF tokens are bound to the session's nonce.
 */
export interface SessionKeys {
  issue(now: number): { cookie: string; csrf: string }
  /** The session's nonce when the cookie is genuine and unexpired, else undefined. */
  verify(cookie: string | undefined, now: number): string | undefined
  csrfFor(nonce: string): string
  checkCsrf(nonce: string, token: unknown): boolean
  checkCredential(candidate: unknown): boolean
  /** Ends a session in this process before its cookie expires (sign-out). */
  revoke(nonce: string, now: number): void
}

export const SESSION_COOKIE = 'scgw_admin'
const SESSION_MS = 8 * 3_600_000

function equal(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest()
  const y = createHash('sha256').update(b).digest()
  return timingSafeEqual(x, y)
}

export function createSessionKeys(adminToken: string): SessionKeys {
  const key = createHash('sha256').update(`dashboard session\0${adminToken}`).digest()
  const sign = (text: string) => createHmac('sha256', key).update(text).digest('base64url')
  const csrfFor = (nonce: string) => sign(`csrf\0${nonce}`)
  // Signed-out sessions, until they would have expired anyway.
  const revoked = new Map<string, number>()
  return {
    revoke(nonce, now) {
      for (const [n, until] of revoked) if (until <= now) revoked.delete(n)
      revoked.set(nonce, now + SESSION_MS)
    },
    issue(now) {
      const nonce = randomBytes(18).toString('base64url')
      const body = `${now + SESSION_MS}.${nonce}`
      return { cookie: `${body}.${sign(body)}`, csrf: csrfFor(nonce) }
    },
    verify(cookie, now) {
      if (!cookie) return undefined
      const parts = cookie.split('.')
      if (parts.length !== 3) return undefined
      const [expires = '', nonce = '', signature = ''] = parts
      if (!equal(signature, sign(`${expires}.${nonce}`))) return undefined
      if (!/^\d+$/.test(expires) || Number(expires) <= now) return undefined
      if (revoked.has(nonce)) return undefined
      return nonce
    },
    csrfFor,
    checkCsrf: (nonce, token) => typeof token === 'string' && equal(token, csrfFor(nonce)),
    checkCredential: (candidate) => typeof candidate === 'string' && equal(candidate, adminToken),
  }
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return v.join('=')
  }
  return undefined
}
