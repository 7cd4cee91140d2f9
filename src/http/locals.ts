import type { Scope } from '../tenancy/token-auth.ts'
import type { ResolvedConnection } from '../tenancy/connections.ts'
import type { Dialect } from '../scim/dialects.ts'
import type { RequestTrace } from '../scim/types.ts'

// Typed per-request state, so handlers never read an untyped `res.locals`.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      requestId: string
      /** The SCIM root this request came in on, e.g. `https://host/scim/v2`. */
      scimBaseUrl?: string
      scope?: Scope
      connection?: ResolvedConnection
      dialect?: Dialect
      /** What the connection's service did, for the provisioning log. */
      trace?: RequestTrace
      /** The dashboard session's nonce, once its cookie is verified. */
      adminNonce?: string
      /** The error detail sent, for the provisioning log. */
      errorDetail?: string
    }
  }
}

export {}
