import { createHash } from 'node:crypto'
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type JWTVerifyGetKey,
} from 'jose'
import type { JwtConfig, TenantConfig } from '../config/tenant-config.ts'

export type JwtResult = { ok: true; subject: string } | { ok: false; reason: string }

export type JwtVerifier = (tenant: string, token: string) => Promise<JwtResult>

/**
 * Remote key sets by URL. They live beside the configuration, not in it, so a reload does
 * not throw away fetched keys; jose refetches on an unknown `kid` (after the cooldown).
 */
export function createJwksCache() {
  const sets = new Map<string, JWTVerifyGetKey>()
  return (url: string, cooldownSeconds: number): JWTVerifyGetKey => {
    const key = `${url} ${cooldownSeconds}`
    let set = sets.get(key)
    if (!set) {
      set = createRemoteJWKSet(new URL(url), {
        cooldownDuration: cooldownSeconds * 1000,
        cacheMaxAge: 10 * 60_000,
        timeoutDuration: 5_000,
      })
      sets.set(key, set)
    }
    return set
  }
}

export type JwksCache = ReturnType<typeof createJwksCache>

const MAX_CACHED = 10_000

function keyResolver(config: JwtConfig, jwks: JwksCache): JWTVerifyGetKey {
  const source = config.keySource
  if (source.kind === 'jwksUri') return jwks(source.url, config.jwksCooldownSeconds)
  if (source.kind === 'jwks') return createLocalJWKSet(source.jwks)
  // A Web Crypto key is bound to one algorithm: import the PEM once per algorithm the token
  // names. jose checks the header's `alg` against `algorithms` before asking for the key.
  const keys = new Map<string, Promise<CryptoKey>>()
  return ({ alg }) => {
    let key = keys.get(alg)
    if (!key) {
      key = importSPKI(source.pem, alg, { extractable: false })
      keys.set(alg, key)
    }
    return key
  }
}

/**
 * Verifies IdP-issued JWTs per tenant: signature (asymmetric algorithms only), issuer,
 * audience, `exp`/`nbf` with bounded skew, and required claim values (Entra: `tid`). A
 * verified token is remembered by its hash until it expires.
 */
export function createJwtVerifier(
  tenants: ReadonlyMap<string, TenantConfig>,
  jwks: JwksCache,
  now: () => Date,
): JwtVerifier {
  const resolvers = new Map<string, ReturnType<typeof keyResolver>>()
  for (const tenant of tenants.values()) {
    if (tenant.jwt) resolvers.set(tenant.tenant, keyResolver(tenant.jwt, jwks))
  }
  const verified = new Map<string, { tenant: string; subject: string; expires: number }>()

  function remember(hash: string, entry: { tenant: string; subject: string; expires: number }) {
    if (verified.size >= MAX_CACHED) {
      const at = now().getTime()
      for (const [k, v] of verified) if (v.expires <= at) verified.delete(k)
      if (verified.size >= MAX_CACHED) verified.delete(verified.keys().next().value as string)
    }
    verified.set(hash, entry)
  }

  return async (tenant, token) => {
    const config = tenants.get(tenant)?.jwt
    const resolver = resolvers.get(tenant)
    if (!config || !resolver) return { ok: false, reason: 'tenant accepts no JWTs' }
    const hash = createHash('sha256').update(token).digest('hex')
    const at = now().getTime()
    const cached = verified.get(hash)
    if (cached && cached.tenant === tenant && cached.expires > at)
      return { ok: true, subject: cached.subject }
    try {
      const { payload } = await jwtVerify(token, resolver, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: config.algorithms,
        clockTolerance: config.clockToleranceSeconds,
        requiredClaims: ['exp'],
        currentDate: new Date(at),
      })
      for (const [claim, expected] of Object.entries(config.requiredClaims)) {
        if (payload[claim] !== expected)
          return { ok: false, reason: `claim ${claim} does not match` }
      }
      const subject = typeof payload.sub === 'string' ? payload.sub : 'jwt'
      remember(hash, { tenant, subject, expires: (payload.exp ?? 0) * 1000 })
      return { ok: true, subject }
    } catch (err) {
      const code =
        typeof err === 'object' && err !== null && 'code' in err
          ? String(err.code)
          : 'ERR_JWT_INVALID'
      return { ok: false, reason: code }
    }
  }
}
