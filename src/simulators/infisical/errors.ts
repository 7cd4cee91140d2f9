import { randomBytes } from 'node:crypto'
import type { Request } from 'express'
import { SimulatorHttpError, type ErrorFormatter } from '../common/errors.ts'

export const SCIM_BASE_PATH = '/api/v1/scim'
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error'

/** The SCIM server proper; the token-management routes beside it are native. */
export function isScimPath(path: string): boolean {
  if (path === SCIM_BASE_PATH) return true
  return path.startsWith(`${SCIM_BASE_PATH}/`) && !path.startsWith(`${SCIM_BASE_PATH}/scim-tokens`)
}

/** Infisical's error classes set `error` to their name; the shared frame's codes map onto them. */
const ERROR_NAMES: Record<string, string> = {
  unauthorized: 'UnauthorizedError',
  not_found: 'NotFound',
  invalid_json: 'BadRequest',
  invalid_request: 'BadRequest',
  internal_error: 'InternalServerError',
}

const FAULT_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'UnauthorizedError',
  403: 'ForbiddenError',
  404: 'NotFound',
  504: 'GatewayTimeoutError',
}

function errorName(error: SimulatorHttpError): string {
  if (error.code === 'injected_fault')
    return FAULT_NAMES[error.status] ?? (error.status >= 500 ? 'InternalServerError' : 'BadRequest')
  return ERROR_NAMES[error.code] ?? error.code
}

function newReqId(): string {
  return `req-${randomBytes(10).toString('base64url')}`
}

function retryAfterSeconds(error: SimulatorHttpError): number {
  const header = Number(error.headers['retry-after'])
  return Number.isFinite(header) && header > 0 ? header : 60
}

/**
 * Three shapes, as Infisical's error handler sends them: the rate limiter's
 * `{statusCode: 429, message}` on every route (it runs before routing), SCIM errors
 * `{schemas, status, detail}` on the SCIM server, `{reqId, statusCode, message, error}` elsewhere.
 */
export const formatInfisicalError: ErrorFormatter = (error, req: Request) => {
  if (error.status === 429)
    return {
      body: {
        reqId: newReqId(),
        statusCode: 429,
        message: `Rate limit exceeded. Please try again in ${retryAfterSeconds(error)} seconds`,
        error: 'RateLimitExceeded',
      },
      contentType: 'application/json',
    }
  if (isScimPath(req.path))
    return {
      body: { schemas: [SCIM_ERROR_SCHEMA], status: error.status, detail: error.message },
      contentType: 'application/json',
    }
  return {
    body: {
      reqId: newReqId(),
      statusCode: error.status,
      message: error.message,
      error: errorName(error),
    },
    contentType: 'application/json',
  }
}

export function badRequest(message: string): SimulatorHttpError {
  return new SimulatorHttpError(400, 'BadRequest', message)
}

export function unauthorized(message: string): SimulatorHttpError {
  return new SimulatorHttpError(401, 'UnauthorizedError', message)
}

export function forbidden(message: string): SimulatorHttpError {
  return new SimulatorHttpError(403, 'ForbiddenError', message)
}

export function notFound(message: string): SimulatorHttpError {
  return new SimulatorHttpError(404, 'NotFound', message)
}

export function conflict(message: string): SimulatorHttpError {
  return new SimulatorHttpError(409, 'Conflict', message)
}

/** A body that fails the route's schema (Infisical's zod validation answers 422). */
export function validationFailure(message: string): SimulatorHttpError {
  return new SimulatorHttpError(422, 'ValidationFailure', message)
}
