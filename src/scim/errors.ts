/**
 * RFC 7644 §3.12 errors. A `ScimError` is built only through the factories below, so the
 * status and the scimType always agree.
 */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error'

export class ScimError extends Error {
  readonly status: number
  readonly scimType: ScimType | undefined
  readonly detail: string
  /** Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`. */
  readonly headers: Readonly<Record<string, string>>

  private constructor(
    status: number,
    scimType: ScimType | undefined,
    detail: string,
    headers: Record<string, string> = {},
  ) {
    super(detail)
    this.name = 'ScimError'
    this.status = status
    this.scimType = scimType
    this.detail = detail
    this.headers = headers
  }

  /** @internal the factories below are the public way in. */
  static create(
    status: number,
    scimType: ScimType | undefined,
    detail: string,
    headers?: Record<string, string>,
  ): ScimError {
    return new ScimError(status, scimType, detail, headers)
  }
}

const bad = (scimType: ScimType) => (detail: string) => ScimError.create(400, scimType, detail)

export const invalidFilter = bad('invalidFilter')
export const invalidPath = bad('invalidPath')
export const invalidValue = bad('invalidValue')
export const invalidSyntax = bad('invalidSyntax')
export const noTarget = bad('noTarget')
export const mutability = bad('mutability')
export const invalidVersion = bad('invalidVers')
export const tooManyResults = bad('tooMany')

export function badRequest(detail: string): ScimError {
  return ScimError.create(400, undefined, detail)
}

export function uniqueness(detail: string): ScimError {
  return ScimError.create(409, 'uniqueness', detail)
}

export function notFound(resourceType: string, id: string): ScimError {
  return ScimError.create(404, undefined, `${resourceType} ${id} not found`)
}

export function endpointNotFound(detail: string): ScimError {
  return ScimError.create(404, undefined, detail)
}

export function unauthorized(detail = 'Missing or invalid bearer token'): ScimError {
  return ScimError.create(401, undefined, detail, { 'WWW-Authenticate': 'Bearer realm="scim"' })
}

export function forbidden(detail: string): ScimError {
  return ScimError.create(403, undefined, detail)
}

export function methodNotAllowed(detail: string): ScimError {
  return ScimError.create(405, undefined, detail)
}

export function preconditionFailed(detail: string): ScimError {
  return ScimError.create(412, undefined, detail)
}

export function payloadTooLarge(detail: string): ScimError {
  return ScimError.create(413, undefined, detail)
}

export function unsupportedMediaType(detail: string): ScimError {
  return ScimError.create(415, undefined, detail)
}

export function tooManyRequests(detail: string, retryAfterSeconds: number): ScimError {
  return ScimError.create(429, undefined, detail, { 'Retry-After': String(retryAfterSeconds) })
}

export function internalError(): ScimError {
  return ScimError.create(500, undefined, 'Internal error; the request id identifies it in the log')
}

export function badGateway(detail: string): ScimError {
  return ScimError.create(502, undefined, detail)
}

export function serviceUnavailable(detail: string, retryAfterSeconds: number): ScimError {
  return ScimError.create(503, undefined, detail, { 'Retry-After': String(retryAfterSeconds) })
}

export function gatewayTimeout(detail: string): ScimError {
  return ScimError.create(504, undefined, detail)
}

export interface ErrorResponse {
  schemas: [typeof ERROR_SCHEMA]
  status: string
  scimType?: ScimType
  detail: string
}

/** RFC 7644 §3.12: `status` is a string; `scimType` only when set. */
export function toErrorResponse(err: ScimError): ErrorResponse {
  const body: ErrorResponse = {
    schemas: [ERROR_SCHEMA],
    status: String(err.status),
    detail: err.detail,
  }
  if (err.scimType) body.scimType = err.scimType
  return body
}
