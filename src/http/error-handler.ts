import type { ErrorRequestHandler, RequestHandler } from 'express'
import type { Logger } from 'pino'
import { endpointNotFound, internalError, ScimError, toErrorResponse } from '../scim/errors.ts'
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
    sendScim(res, scimError.status, toErrorResponse(scimError), { ...scimError.headers })
  }
}

export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => {
    next(endpointNotFound(`No SCIM endpoint at ${req.method} ${req.path}`))
  }
}
