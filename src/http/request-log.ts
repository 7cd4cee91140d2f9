import type { RequestHandler } from 'express'
import type { Logger } from 'pino'

/**
 * One structured line per request. Only named fields are logged — never headers or bodies —
 * so a credential cannot reach the log by accident.
 */
export function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint()
    res.on('finish', () => {
      log.info(
        {
          requestId: res.locals.requestId,
          tenant: res.locals.scope?.tenant,
          connection: res.locals.scope?.connection,
          dialect: res.locals.dialect,
          method: req.method,
          path: req.originalUrl.split('?')[0],
          status: res.statusCode,
          ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        },
        'request',
      )
    })
    next()
  }
}
