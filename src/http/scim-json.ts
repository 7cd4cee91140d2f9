import express, { type ErrorRequestHandler, type RequestHandler } from 'express'
import { invalidSyntax, payloadTooLarge, unsupportedMediaType } from '../scim/errors.ts'

const JSON_TYPES = ['application/scim+json', 'application/json']

/**
 * Request bodies: RFC 7644 §3.1 `application/scim+json`, and `application/json`, which Okta
 * sends. Other content types get 415; malformed JSON 400; oversized bodies 413.
 */
export function scimJsonBody(limitBytes: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    const hasBody = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH'
    if (hasBody && !req.is(JSON_TYPES)) {
      next(
        unsupportedMediaType(
          `Content-Type must be application/scim+json or application/json, not ${req.get('content-type') ?? 'missing'}`,
        ),
      )
      return
    }
    next()
  }
  return [requireJson, express.json({ type: JSON_TYPES, limit: limitBytes, strict: false })]
}

/** Turns body-parser's errors into SCIM errors. */
export function bodyErrors(limitBytes: number): ErrorRequestHandler {
  return (err: unknown, _req, _res, next) => {
    const type =
      typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined
    if (type === 'entity.too.large')
      next(payloadTooLarge(`Request body is larger than ${limitBytes} bytes`))
    else if (type === 'entity.parse.failed') next(invalidSyntax('Request body is not valid JSON'))
    else if (type === 'encoding.unsupported' || type === 'charset.unsupported')
      next(unsupportedMediaType('Unsupported body encoding or charset'))
    else next(err)
  }
}
