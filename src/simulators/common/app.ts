import express, {
  Router,
  type ErrorRequestHandler,
  type Express,
  type RequestHandler,
} from 'express'
import { requireBearer, type SimulatorCredential } from './auth.ts'
import type { SimulatorClock } from './clock.ts'
import { SimulatorHttpError, type ErrorFormatter } from './errors.ts'
import { createFaultQueue, injectFaults } from './faults.ts'
import { createInspectionRouter } from './inspection.ts'
import { createRateLimiter, type RateLimitRule } from './rate-limit.ts'
import { createRequestLog } from './request-log.ts'

export interface SimulatorAppOptions {
  clock: SimulatorClock
  /** Bearer credentials the product accepts. */
  credentials: readonly SimulatorCredential[]
  /** Per-credential budgets, first match wins; `false` lifts them (benchmarks). */
  rateLimits: readonly RateLimitRule[] | false
  /** The product's error shape. */
  formatError: ErrorFormatter
  /** Mounts the product's API (after faults, auth and rate limit). */
  routes(router: Router): void
  /** Mounts product-specific test hooks under `/_sim`. */
  hooks?(router: Router): void
  readState(): unknown
  resetState(): void
  /** Largest JSON body accepted. */
  bodyLimit?: string
}

/** Express 5 forwards async rejections; this turns anything thrown into a product error. */
function createErrorHandler(formatError: ErrorFormatter): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err)
    const error = toSimulatorError(err)
    const formatted = formatError(error, req)
    res.status(error.status).set(error.headers).type(formatted.contentType)
    res.send(JSON.stringify(formatted.body))
  }
}

function toSimulatorError(err: unknown): SimulatorHttpError {
  if (err instanceof SimulatorHttpError) return err
  const status = typeof err === 'object' && err !== null && 'status' in err ? err.status : 500
  const type = typeof err === 'object' && err !== null && 'type' in err ? err.type : undefined
  if (type === 'entity.parse.failed')
    return new SimulatorHttpError(400, 'invalid_json', 'The body is not valid JSON')
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new SimulatorHttpError(status, 'invalid_request', 'The request could not be read')
  return new SimulatorHttpError(500, 'internal_error', 'Internal server error')
}

const notFound: RequestHandler = (req, _res, next) => {
  next(new SimulatorHttpError(404, 'not_found', `No route for ${req.method} ${req.path}`))
}

/**
 * The shared frame of every simulator: JSON bodies (`application/json` and
 * `application/scim+json`), `/_sim` inspection, then for product requests the request log,
 * queued faults, bearer auth, the rate limit, the product's routes, 404, errors.
 */
export function createSimulatorApp(options: SimulatorAppOptions): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  const faults = createFaultQueue()
  const requests = createRequestLog(options.clock)
  const limiter = options.rateLimits
    ? createRateLimiter(options.rateLimits, options.clock)
    : undefined
  const json = express.json({
    type: ['application/json', 'application/scim+json', 'application/*+json'],
    limit: options.bodyLimit ?? '1mb',
  })

  const inspection = createInspectionRouter({ ...options, faults, requests, limiter })
  options.hooks?.(inspection)
  app.use('/_sim', json, inspection, notFound)

  const product = Router()
  options.routes(product)
  app.use(requests.middleware, json, injectFaults(faults))
  app.use(requireBearer(options.credentials, options.clock))
  if (limiter) app.use(limiter.middleware)
  app.use(product)
  app.use(notFound)
  app.use(createErrorHandler(options.formatError))
  return app
}
