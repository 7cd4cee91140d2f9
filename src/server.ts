import express, { type Express } from 'express'
import type { Logger } from 'pino'
import { adminApi, type AdminApiOptions } from './admin/admin-api.ts'
import { adminAuth } from './admin/admin-auth.ts'
import { dashboard } from './admin/dashboard.ts'
import { authenticateScim, type AuthenticateOptions } from './http/authenticate.ts'
import { discoveryRoutes } from './http/discovery-routes.ts'
import { errorHandler, notFoundHandler } from './http/error-handler.ts'
import type { Metrics } from './http/metrics.ts'
import { healthz, readyz, type ReadinessOptions } from './http/probes.ts'
import { provisioningLog } from './http/provisioning-log.ts'
import { connectionRateLimit } from './http/rate-limit.ts'
import { requestId } from './http/request-id.ts'
import { requestLog } from './http/request-log.ts'
import { rootSearchRoute } from './http/root-search.ts'
import { scimBase } from './http/scim-context.ts'
import { bodyErrors, scimJsonBody } from './http/scim-json.ts'
import { resourceRoutes } from './http/scim-routes.ts'
import type { EventStore } from './store/events.ts'
import type { RateLimiter } from './tenancy/rate-limit.ts'

export interface AppDependencies extends AuthenticateOptions {
  bodyLimitBytes: number
  scim: { defaultCount: number; maxResults: number }
  trustProxy: boolean | number | string
  rateLimiter: RateLimiter
  events: EventStore
  now: () => Date
  metrics: Metrics
  readiness: ReadinessOptions
  admin: AdminApiOptions & { token: string }
  log: Logger
}

/** Wiring only: no listening, no globals, so tests build as many gateways as they need. */
export function createApp(deps: AppDependencies): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.set('trust proxy', deps.trustProxy)
  app.use(requestId())
  app.use(requestLog(deps.log))
  app.get('/healthz', healthz())
  app.get('/readyz', readyz(deps.readiness))
  app.get('/metrics', adminAuth(deps.admin.token), deps.metrics.handler())

  // One SCIM router, mounted at the one URL and at the explicit per-tenant form.
  const scim = express.Router({ mergeParams: true })
  scim.use(scimBase())
  scim.use(deps.metrics.middleware())
  scim.use(provisioningLog(deps.events, deps.now))
  scim.use(authenticateScim(deps))
  scim.use(connectionRateLimit(deps.rateLimiter))
  scim.use(...scimJsonBody(deps.bodyLimitBytes), bodyErrors(deps.bodyLimitBytes))
  // The resource routes first: they carry nearly all of an IdP's traffic.
  scim.use('/Users', resourceRoutes('User', deps.scim))
  scim.use('/Groups', resourceRoutes('Group', deps.scim))
  scim.use(
    discoveryRoutes({ maxResults: deps.scim.maxResults, maxPayloadSize: deps.bodyLimitBytes }),
  )
  scim.use(rootSearchRoute(deps.scim))
  scim.use(notFoundHandler())

  app.use('/scim/v2', scim)
  app.use('/t/:tenant/:connection/scim/v2', scim)
  app.use('/admin/api', adminAuth(deps.admin.token), adminApi(deps.admin))
  app.use(
    '/admin',
    dashboard({ ...deps.admin, adminToken: deps.admin.token, limiter: deps.rateLimiter }),
  )
  app.use(notFoundHandler())
  app.use(errorHandler(deps.log))
  return app
}
