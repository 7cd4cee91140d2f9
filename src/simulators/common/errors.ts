import type { Request } from 'express'

/**
 * Codes the shared machinery raises; each product's formatter turns them (and its own codes)
 * into the product's error shape.
 */
export type CommonErrorCode =
  | 'unauthorized'
  | 'rate_limit_exceeded'
  | 'not_found'
  | 'invalid_json'
  | 'injected_fault'
  | 'internal_error'

/** Thrown by product handlers; the app's error handler sends it in the product's shape. */
export class SimulatorHttpError extends Error {
  readonly status: number
  readonly code: string
  readonly headers: Readonly<Record<string, string>>

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.name = 'SimulatorHttpError'
    this.status = status
    this.code = code
    this.headers = headers
  }
}

/** The product's wire form of an error. */
export interface FormattedError {
  body: unknown
  contentType: string
}

export type ErrorFormatter = (error: SimulatorHttpError, req: Request) => FormattedError

/** A readable message for an injected fault, so the body looks like the product's own. */
export function describeStatus(status: number): string {
  if (status === 429) return 'Too many requests'
  if (status === 502) return 'Bad gateway'
  if (status === 503) return 'Service temporarily unavailable'
  if (status === 504) return 'Gateway timeout'
  if (status >= 500) return 'Internal server error'
  return `Request failed with status ${status}`
}
