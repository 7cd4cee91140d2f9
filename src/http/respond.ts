import type { Response } from 'express'

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8'

/** Sends a SCIM body; RFC 7644 §3.1 says responses are `application/scim+json`. */
export function sendScim(
  res: Response,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.status(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body))
}
