import { Router } from 'express'
import { isRecord } from './body.ts'
import type { SimulatorClock } from './clock.ts'
import { SimulatorHttpError } from './errors.ts'
import { parseFaultSpec, type FaultQueue } from './faults.ts'
import type { RateLimiter } from './rate-limit.ts'
import type { RequestLog } from './request-log.ts'

export interface InspectionDeps {
  clock: SimulatorClock
  faults: FaultQueue
  requests: RequestLog
  limiter: RateLimiter | undefined
  readState(): unknown
  resetState(): void
}

function parseClockBody(body: unknown): { now: Date } | { advanceSeconds: number } {
  if (isRecord(body) && typeof body.now === 'string' && !Number.isNaN(Date.parse(body.now)))
    return { now: new Date(body.now) }
  if (isRecord(body) && typeof body.advanceSeconds === 'number')
    return { advanceSeconds: body.advanceSeconds }
  throw new SimulatorHttpError(
    400,
    'invalid_clock',
    'Give { "now": ISO } or { "advanceSeconds": N }',
  )
}

/**
 * `/_sim/*`: test and demo controls. Unauthenticated, unlogged, never faulted or rate limited —
 * they are not the product, and the simulator listens on 127.0.0.1 only.
 */
export function createInspectionRouter(deps: InspectionDeps): Router {
  const router = Router()
  router.get('/state', (_req, res) => {
    res.json(deps.readState())
  })
  router.post('/reset', (_req, res) => {
    deps.resetState()
    deps.faults.clear()
    deps.requests.clear()
    deps.limiter?.reset()
    deps.clock.reset()
    res.status(204).end()
  })
  router.get('/faults', (_req, res) => {
    res.json({ faults: deps.faults.list() })
  })
  router.post('/faults', (req, res) => {
    const spec = parseFaultSpec(req.body)
    deps.faults.add(spec)
    res.status(201).json({ faults: deps.faults.list() })
  })
  router.delete('/faults', (_req, res) => {
    deps.faults.clear()
    res.status(204).end()
  })
  router.get('/requests', (_req, res) => {
    res.json({ requests: deps.requests.list() })
  })
  router.delete('/requests', (_req, res) => {
    deps.requests.clear()
    res.status(204).end()
  })
  router.get('/clock', (_req, res) => {
    res.json({ now: deps.clock.now().toISOString() })
  })
  router.post('/clock', (req, res) => {
    const change = parseClockBody(req.body)
    if ('now' in change) deps.clock.set(change.now)
    else deps.clock.advance(change.advanceSeconds)
    res.json({ now: deps.clock.now().toISOString() })
  })
  return router
}
