import type { RequestHandler } from 'express'
import { isRecord } from './body.ts'
import { describeStatus, SimulatorHttpError } from './errors.ts'

/** One queued fault: applies to the next `count` product requests, then the next entry does. */
export interface FaultSpec {
  count: number
  /** Answer this status (in the product's error shape) instead of serving the request. */
  status?: number
  /** `Retry-After` seconds sent with `status`. */
  retryAfter?: number
  /** Wait before answering (or before serving normally when no status is given). */
  delayMs?: number
  /** Destroy the TCP connection without any response. */
  drop?: boolean
}

export interface FaultQueue {
  add(spec: FaultSpec): void
  /** Takes one use of the first entry, if any. */
  take(): FaultSpec | undefined
  list(): FaultSpec[]
  clear(): void
}

export function createFaultQueue(): FaultQueue {
  let entries: FaultSpec[] = []
  return {
    add: (spec) => {
      entries.push({ ...spec })
    },
    take: () => {
      const first = entries[0]
      if (!first) return undefined
      first.count -= 1
      if (first.count <= 0) entries.shift()
      return first
    },
    list: () => entries.map((entry) => ({ ...entry })),
    clear: () => {
      entries = []
    },
  }
}

function readOptionalInteger(body: Record<string, unknown>, key: string, min: number, max: number) {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new SimulatorHttpError(400, 'invalid_fault', `${key} must be an integer ${min}–${max}`)
  return value
}

/** Validates a `POST /_sim/faults` body. */
export function parseFaultSpec(body: unknown): FaultSpec {
  if (!isRecord(body)) throw new SimulatorHttpError(400, 'invalid_fault', 'Expected a JSON object')
  const count = readOptionalInteger(body, 'count', 1, 1_000_000) ?? 1
  const status = readOptionalInteger(body, 'status', 200, 599)
  const retryAfter = readOptionalInteger(body, 'retryAfter', 0, 86_400)
  const delayMs = readOptionalInteger(body, 'delayMs', 0, 600_000)
  if (body.drop !== undefined && typeof body.drop !== 'boolean')
    throw new SimulatorHttpError(400, 'invalid_fault', 'drop must be a boolean')
  const drop = body.drop === true
  if (status === undefined && !drop && !delayMs)
    throw new SimulatorHttpError(400, 'invalid_fault', 'Give a status, a delayMs or drop: true')
  return { count, status, retryAfter, delayMs, drop }
}

function waitMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Applies the next queued fault to a product request. */
export function injectFaults(queue: FaultQueue): RequestHandler {
  return async (req, _res, next) => {
    const fault = queue.take()
    if (!fault) return next()
    if (fault.delayMs) await waitMs(fault.delayMs)
    if (fault.drop) {
      req.socket.destroy()
      return
    }
    if (fault.status === undefined) return next()
    const headers: Record<string, string> = {}
    if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter)
    next(
      new SimulatorHttpError(fault.status, 'injected_fault', describeStatus(fault.status), headers),
    )
  }
}
