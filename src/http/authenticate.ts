import type { RequestHandler } from 'express'
import { NAME_PATTERN } from '../config/tenant-config.ts'
import { detectDialect } from '../scim/dialects.ts'
import { unauthorized } from '../scim/errors.ts'
import type { ConnectionResolver } from '../tenancy/connections.ts'
import type { JwtVerifier } from '../tenancy/jwt-auth.ts'
import type { Scope } from '../tenancy/token-auth.ts'

export interface AuthenticateOptions {
  authenticateToken: (token: string) => Promise<Scope | undefined>
  verifyJwt: JwtVerifier
  resolveConnection: ConnectionResolver
}

const BEARER = /^Bearer\s+(\S+)\s*$/i
const NAME = new RegExp(NAME_PATTERN)

/**
 * Bearer credential → tenant and connection.
 * - `/scim/v2`: a gateway token names both.
 * - `/t/{tenant}/{connection}/scim/v2`: a gateway token whose scope is exactly that path, or
 *   a JWT issued for that tenant (a JWT names no connection, so the path does).
 * Every refusal — missing, bad, expired or revoked credential, a scope that does not match
 * the path, an unknown tenant or connection — is the same 401, so nobody can learn which
 * tenants exist.
 */
export function authenticateScim(options: AuthenticateOptions): RequestHandler {
  async function scopeOf(
    token: string,
    tenant?: string,
    connection?: string,
  ): Promise<Scope | undefined> {
    const explicit = tenant !== undefined && connection !== undefined
    if (explicit && (!NAME.test(tenant) || !NAME.test(connection))) return undefined
    if (token.startsWith('scgw_')) {
      const scope = await options.authenticateToken(token)
      if (!scope || (explicit && (scope.tenant !== tenant || scope.connection !== connection)))
        return undefined
      return scope
    }
    if (!explicit || !options.resolveConnection(tenant, connection)) return undefined
    const result = await options.verifyJwt(tenant, token)
    return result.ok ? { tenant, connection, tokenId: `jwt:${result.subject}` } : undefined
  }

  return (req, res, next) => {
    const match = BEARER.exec(req.get('authorization') ?? '')
    if (!match?.[1]) {
      next(unauthorized())
      return
    }
    const params = req.params as Record<string, string | undefined>
    scopeOf(match[1], params.tenant, params.connection)
      .then((scope) => {
        const connection = scope && options.resolveConnection(scope.tenant, scope.connection)
        if (!scope || !connection) {
          next(unauthorized())
          return
        }
        res.locals.scope = scope
        res.locals.connection = connection
        res.locals.dialect = detectDialect(req.get('user-agent'), req.query)
        next()
      })
      .catch(next)
  }
}
