import type { RequestHandler } from 'express'
import type { SimulatorClock } from './clock.ts'

/** What a product received, as tests need it: never the credential itself. */
export interface RequestRecord {
  at: string
  method: string
  path: string
  query: unknown
  body: unknown
  /** The `Authorization` scheme (`Bearer`), `other` for an unrecognised value, null when absent. */
  authorization: string | null
  /** The status answered; null while pending or when the connection was dropped. */
  status: number | null
}

export interface RequestLog {
  middleware: RequestHandler
  list(): RequestRecord[]
  clear(): void
}

const KNOWN_SCHEMES = new Set(['basic', 'bearer', 'digest', 'token', 'apikey', 'ssws', 'negotiate'])

/**
 * Only a recognised scheme word is kept: a header without a scheme (`Authorization: s3cret`)
 * is itself the credential and must not reach the log.
 */
export function readAuthScheme(header: string | undefined): string | null {
  if (header === undefined) return null
  const first = header.trim().split(/\s+/)[0] ?? ''
  return KNOWN_SCHEMES.has(first.toLowerCase()) && /\s/.test(header.trim()) ? first : 'other'
}

/** Keeps the last `capacity` product requests, in arrival order. */
export function createRequestLog(clock: SimulatorClock, capacity = 1000): RequestLog {
  let records: RequestRecord[] = []
  const middleware: RequestHandler = (req, res, next) => {
    const record: RequestRecord = {
      at: clock.now().toISOString(),
      method: req.method,
      path: req.path,
      query: { ...req.query },
      body: null,
      authorization: readAuthScheme(req.headers.authorization),
      status: null,
    }
    records.push(record)
    if (records.length > capacity) records.shift()
    const settle = (answered: boolean) => {
      const body: unknown = req.body
      record.body = body ?? null
      if (answered) record.status = res.statusCode
    }
    res.once('finish', () => settle(true))
    res.once('close', () => {
      if (!res.writableFinished) settle(false)
    })
    next()
  }
  return {
    middleware,
    list: () => records.map((record) => ({ ...record })),
    clear: () => {
      records = []
    },
  }
}
