import express, { type RequestHandler, type Response } from 'express'
import { SimulatorHttpError } from '../common/errors.ts'

/** The versioned media type of each route family (PRODUCTS.md §2, C2). */
export const CLUMIO_MEDIA_TYPES = {
  users: 'application/api.clumio.users=v2+json',
  roles: 'application/api.clumio.roles=v1+json',
  organizationalUnits: 'application/api.clumio.organizational-units=v2+json',
  autoUserProvisioningSettings: 'application/api.clumio.auto-user-provisioning-settings=v1+json',
  autoUserProvisioningRules: 'application/api.clumio.auto-user-provisioning-rules=v1+json',
} as const

export type ClumioMediaType = (typeof CLUMIO_MEDIA_TYPES)[keyof typeof CLUMIO_MEDIA_TYPES]

const FAMILIES: readonly { pattern: RegExp; mediaType: ClumioMediaType }[] = [
  { pattern: /^\/users(\/|$)/, mediaType: CLUMIO_MEDIA_TYPES.users },
  { pattern: /^\/roles(\/|$)/, mediaType: CLUMIO_MEDIA_TYPES.roles },
  { pattern: /^\/organizational-units(\/|$)/, mediaType: CLUMIO_MEDIA_TYPES.organizationalUnits },
  {
    pattern: /^\/settings\/auto-user-provisioning\/?$/,
    mediaType: CLUMIO_MEDIA_TYPES.autoUserProvisioningSettings,
  },
  {
    pattern: /^\/settings\/auto-user-provisioning\/rules(\/|$)/,
    mediaType: CLUMIO_MEDIA_TYPES.autoUserProvisioningRules,
  },
]

/** The media type a path's family answers in; undefined outside the API (→ 404). */
export function mediaTypeFor(path: string): ClumioMediaType | undefined {
  return FAMILIES.find((family) => family.pattern.test(path))?.mediaType
}

/** Whether an `Accept` header lists the media type itself; wildcards do not pick a version. */
export function acceptsMediaType(header: string | undefined, mediaType: string): boolean {
  return (header ?? '')
    .split(',')
    .map((range) => (range.split(';')[0] ?? '').trim().toLowerCase())
    .includes(mediaType)
}

const VERSIONED_TYPES: ReadonlySet<string> = new Set(Object.values(CLUMIO_MEDIA_TYPES))
const parseJson = express.json()

/**
 * Bodies sent as a versioned media type are plain JSON. The shared parser skips them and
 * body-parser cannot read the `=` in their subtype, so they are relabelled before parsing.
 */
export const parseVersionedJson: RequestHandler = (req, res, next) => {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (!VERSIONED_TYPES.has(type)) return next()
  req.headers['content-type'] = 'application/json'
  parseJson(req, res, next)
}

const MEDIA_TYPE_KEY = 'clumioMediaType'

/** [A] A missing or other `Accept` → 406: the version is part of Clumio's contract. */
export const requireVersionedAccept: RequestHandler = (req, res, next) => {
  const mediaType = mediaTypeFor(req.path)
  if (!mediaType) return next()
  if (!acceptsMediaType(req.headers.accept, mediaType))
    return next(
      new SimulatorHttpError(406, 'not_acceptable', `This endpoint requires Accept: ${mediaType}`),
    )
  res.locals[MEDIA_TYPE_KEY] = mediaType
  next()
}

/**
 * Answers in the family's media type. The body goes out as a Buffer: Express would otherwise
 * append a charset by parsing the type, which rejects the `=` in Clumio's subtypes.
 */
export function sendClumio(res: Response, body: unknown, status = 200): void {
  const mediaType: unknown = res.locals[MEDIA_TYPE_KEY]
  res.status(status)
  res.setHeader('content-type', typeof mediaType === 'string' ? mediaType : 'application/json')
  res.send(Buffer.from(JSON.stringify(body)))
}
