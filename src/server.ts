import express, { type Express } from 'express'
import type { Logger } from 'pino'
import { authenticateScim } from './http/authenticate.ts'
import { discoveryRoutes } from './http/discovery-routes.ts'
import { errorHandler, notFoundHandler } from './http/error-handler.ts'
import { requestId } from './http/request-id.ts'
import { rootSearchRoute } from './http/root-search.ts'
import { bodyErrors, scimJsonBody } from './http/scim-json.ts'
import { scimBase } from './http/scim-context.ts'
import { resourceRoutes } from './http/scim-routes.ts'
import type { ConnectionResolver } from './tenancy/connections.ts'
import type { Scope } from './tenancy/token-auth.ts'

export interface AppDependencies {
  bodyLimitBytes: number
  scim: { defaultCount: number; maxResults: number }
  authenticate: (token: string) => Promise<Scope | undefined>
  resolveConnection: ConnectionResolver
  log: Logger
}

/** Wiring only: no listening, no globals, so tests build as many gateways as they need. */
export function createApp(deps: AppDependencies): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.use(requestId())

  const scim = express.Router()
  scim.use(scimBase())
  scim.use(
    authenticateScim({
      authenticate: deps.authenticate,
      resolveConnection: deps.resolveConnection,
    }),
  )
  scim.use(...scimJsonBody(deps.bodyLimitBytes), bodyErrors(deps.bodyLimitBytes))
  scim.use(
    discoveryRoutes({ maxResults: deps.scim.maxResults, maxPayloadSize: deps.bodyLimitBytes }),
  )
  scim.use(rootSearchRoute(deps.scim))
  scim.use('/Users', resourceRoutes('User', deps.scim))
  scim.use('/Groups', resourceRoutes('Group', deps.scim))
  scim.use(notFoundHandler())

  app.use('/scim/v2', scim)
  app.use(notFoundHandler())
  app.use(errorHandler(deps.log))
  return app
}
