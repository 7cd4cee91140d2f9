import { timingSafeEqual } from 'node:crypto'
import type { TokenStore } from '../store/tokens.ts'
import { hashToken, readTokenPrefix } from './tokens.ts'

/** Who a request acts for, once authenticated. */
export interface Scope {
  tenant: string
  connection: string
  tokenId: string
}

export interface TokenAuthOptions {
  store: TokenStore
  now: () => Date
  /**
   * How long a resolved token is trusted without asking the database again. Revocation
   * takes effect in every process within this time (documented: 2 s).
   */
  cacheMs?: number
}

const LAST_USED_INTERVAL_MS = 60_000

/** Resolves bearer tokens to their scope; undefined for any token that must be refused. */
export function createTokenAuthenticator(options: TokenAuthOptions) {
  const cacheMs = options.cacheMs ?? 2_000
  const cache = new Map<string, { scope: Scope | undefined; until: number; expires: number }>()
  const lastWritten = new Map<string, number>()

  async function resolve(token: string, hash: string, now: number): Promise<Scope | undefined> {
    const prefix = readTokenPrefix(token)
    if (!prefix) return undefined
    const record = await options.store.findByPrefix(prefix)
    if (!record) return undefined
    const equal = timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex'))
    if (!equal || record.revokedAt !== null) return undefined
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now) return undefined
    const expires = record.expiresAt === null ? Infinity : Date.parse(record.expiresAt)
    const scope: Scope = {
      tenant: record.tenant,
      connection: record.connection,
      tokenId: record.id,
    }
    cache.set(hash, { scope, until: now + cacheMs, expires })
    return scope
  }

  async function markUsed(scope: Scope, now: number) {
    const last = lastWritten.get(scope.tokenId) ?? 0
    if (now - last < LAST_USED_INTERVAL_MS) return
    lastWritten.set(scope.tokenId, now)
    await options.store.touch(scope.tokenId, new Date(now).toISOString())
  }

  return async function authenticate(token: string): Promise<Scope | undefined> {
    const now = options.now().getTime()
    const hash = hashToken(token)
    const cached = cache.get(hash)
    const scope =
      cached && cached.until > now && cached.expires > now
        ? cached.scope
        : await resolve(token, hash, now)
    if (!scope) {
      cache.delete(hash)
      return undefined
    }
    await markUsed(scope, now)
    return scope
  }
}
