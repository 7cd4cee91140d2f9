import type { RequestHandler } from 'express'
import { unauthorized } from '../scim/errors.ts'
import { detectDialect } from '../scim/dialects.ts'
import type { ConnectionResolver } from '../tenancy/connections.ts'
import type { Scope } from '../tenancy/token-auth.ts'

export interface AuthenticateOptions {
  authenticate: (token: string) => Promise<Scope | undefined>
  resolveConnection: ConnectionResolver
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

/**
 * Bearer token → tenant and connection. A missing token, a bad one and one whose scope no
 * longer exists all get the same 401, so nobody can learn which tenants exist.
 */
export function authenticateScim(options: AuthenticateOptions): RequestHandler {
  return (req, res, next) => {
    const match = BEARER.exec(req.get('authorization') ?? '')
    if (!match?.[1]) {
      next(unauthorized())
      return
    }
    options
      .authenticate(match[1])
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
