import type { RequestHandler } from 'express'
import type { EventStore } from '../store/events.ts'

const RESOURCE_PATH = /\/(Users|Groups)(?:\/([^/?]+))?/

/** A path segment as sent; a malformed escape stays as it came rather than throwing. */
function decodeSafely(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function outcomeOf(method: string, status: number, failedUpstream: boolean): string {
  if (status >= 500 || (failedUpstream && status >= 400)) return 'failed'
  if (status >= 400) return 'rejected'
  if (method === 'POST' && status === 201) return 'created'
  if (method === 'PUT' || method === 'PATCH') return 'updated'
  if (method === 'DELETE') return 'deleted'
  return 'read'
}

function subjectOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { userName, displayName } = body as { userName?: unknown; displayName?: unknown }
  if (typeof userName === 'string') return userName
  return typeof displayName === 'string' ? displayName : undefined
}

/**
 * Records authenticated SCIM operations in the provisioning log: who, what, the outcome with
 * its reason, the upstream calls and the changes the product ignored.
 */
export function provisioningLog(events: EventStore, now: () => Date): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint()
    res.on('finish', () => {
      const scope = res.locals.scope
      if (!scope) return
      // Successful reads are not provisioning: an IdP's cycle makes thousands of them. They
      // are counted per connection elsewhere; failed reads are logged like any failure.
      const read = req.method === 'GET' || (req.method === 'POST' && req.path.endsWith('/.search'))
      if (read && res.statusCode < 400) return
      const trace = res.locals.trace ?? { upstream: [], ignored: [] }
      // `req.path` is relative to whichever router ran last: read the URL as it came in.
      const match = RESOURCE_PATH.exec(req.originalUrl.split('?')[0] ?? '')
      const failedUpstream = trace.upstream.some(
        (c) => typeof c.status !== 'number' || c.status >= 500 || c.status === 429,
      )
      const outcome =
        res.statusCode < 400 && trace.outcome
          ? trace.outcome
          : outcomeOf(req.method, res.statusCode, failedUpstream)
      events.record({
        at: now().toISOString(),
        requestId: res.locals.requestId,
        tenant: scope.tenant,
        connection: scope.connection,
        dialect: res.locals.dialect ?? null,
        method: req.method,
        resourceType: match ? (match[1] === 'Users' ? 'User' : 'Group') : null,
        resourceId: trace.resourceId ?? (match?.[2] ? decodeSafely(match[2]) : null),
        subject: trace.subject ?? subjectOf(req.body) ?? null,
        outcome,
        status: res.statusCode,
        detail: res.locals.errorDetail ?? null,
        ignored: trace.ignored,
        upstream: trace.upstream,
        retries: trace.upstream.filter((c) => c.attempt > 1).length,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      })
    })
    next()
  }
}
