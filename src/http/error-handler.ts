import type { ErrorRequestHandler, RequestHandler } from 'express'
import type { Logger } from 'pino'
import {
  endpointNotFound,
  internalError,
  invalidSyntax,
  ScimError,
  toErrorResponse,
} from '../scim/errors.ts'

/** Errors from express, its router or body parsing that blame the client (status 4xx). */
function clientFault(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const status =
    (err as { status?: unknown; statusCode?: unknown }).status ??
    (err as { statusCode?: unknown }).statusCode
  return typeof status === 'number' && status >= 400 && status < 500
}
import { sendScim } from './respond.ts'

/** The one place errors become responses: RFC 7644 §3.12 bodies, never a stack trace. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err)
      return
    }
    let scimError: ScimError
    if (err instanceof ScimError) {
      scimError = err
    } else if (clientFault(err)) {
      // Malformed input caught below us (a bad path escape, a corrupt compressed body).
      scimError = invalidSyntax('The request is malformed')
    } else {
      scimError = internalError()
      log.error(
        {
          err,
          requestId: res.locals.requestId,
          tenant: res.locals.scope?.tenant,
          method: req.method,
          path: req.path,
        },
        'unhandled error',
      )
    }
    res.locals.errorDetail = scimError.detail
    sendScim(res, scimError.status, toErrorResponse(scimError), { ...scimError.headers })
  }
}

export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => {
    next(endpointNotFound(`No SCIM endpoint at ${req.method} ${req.path}`))
  }
}
