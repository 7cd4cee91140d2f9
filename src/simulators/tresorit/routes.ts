import type { Request, RequestHandler, Router } from 'express'
import { isEmail, isRecord, readIntegerQuery, readQuery } from '../common/body.ts'
import { SimulatorHttpError } from '../common/errors.ts'
import type { TresoritSettings } from './settings.ts'
import {
  TRESORIT_STATUSES,
  userNotFound,
  type TresoritStatus,
  type TresoritUsers,
} from './users.ts'

const MAX_PAGE_SIZE = 100

function invalid(code: string, message: string): SimulatorHttpError {
  return new SimulatorHttpError(400, code, message)
}

function readEmailParam(req: Request): string {
  const email = req.params.email
  if (typeof email !== 'string') throw invalid('invalid_request', 'Missing email')
  return email.toLowerCase()
}

function readOptionalName(body: Record<string, unknown>, key: string): string {
  const value = body[key]
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') throw invalid('invalid_request', `${key} must be a string`)
  return value
}

function readPageSize(req: Request, fallback: number): number {
  const size = readIntegerQuery(req.query.pageSize)
  if (size === undefined) return fallback
  if (Number.isNaN(size) || size < 1 || size > MAX_PAGE_SIZE)
    throw invalid('invalid_request', `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}`)
  return size
}

/** Page tokens are the last email of the previous page, opaque to the caller. */
function readPageToken(req: Request): string | undefined {
  const token = readQuery(req.query.pageToken)
  if (!token) return undefined
  const email = Buffer.from(token, 'base64url').toString('utf8')
  if (!email.includes('@')) throw invalid('invalid_page_token', 'pageToken is not valid')
  return email
}

function readStatusFilter(req: Request): TresoritStatus | undefined {
  const status = readQuery(req.query.status)
  if (status === undefined) return undefined
  const known = TRESORIT_STATUSES.find((candidate) => candidate === status)
  if (!known)
    throw invalid('invalid_status', `status must be one of ${TRESORIT_STATUSES.join(', ')}`)
  return known
}

/** R1: provisioning exists on the Enterprise plan only. */
function requireEnterprise(settings: TresoritSettings): RequestHandler {
  return (_req, _res, next) => {
    if (settings.plan === 'enterprise') return next()
    next(new SimulatorHttpError(403, 'enterprise_plan_required', 'The Enterprise plan is required'))
  }
}

/** The invented admin API of PRODUCTS.md §4, relative to `/{tenant}/admin/v1`. */
export function mountTresoritRoutes(
  router: Router,
  settings: TresoritSettings,
  users: TresoritUsers,
): void {
  router.use(requireEnterprise(settings))

  router.get('/users', (req, res) => {
    const email = readQuery(req.query.email)?.toLowerCase()
    const status = readStatusFilter(req)
    const pageSize = readPageSize(req, settings.defaultPageSize)
    const after = readPageToken(req)
    const matching = users
      .list()
      .filter((user) => email === undefined || user.email === email)
      .filter((user) => status === undefined || user.status === status)
      .filter((user) => after === undefined || user.email > after)
    const page = matching.slice(0, pageSize)
    const last = page[page.length - 1]
    const nextPageToken =
      matching.length > pageSize && last ? Buffer.from(last.email).toString('base64url') : null
    res.json({ users: page, nextPageToken })
  })

  router.get('/users/:email', (req, res) => {
    const email = readEmailParam(req)
    const user = users.find(email)
    if (!user) throw userNotFound(email)
    res.json(user)
  })

  router.post('/users/invite', (req, res) => {
    const body: unknown = req.body
    if (!isRecord(body)) throw invalid('invalid_request', 'Expected a JSON object')
    if (!isEmail(body.email)) throw invalid('invalid_email', 'email must be a valid email address')
    const user = users.invite({
      email: body.email,
      firstName: readOptionalName(body, 'firstName'),
      lastName: readOptionalName(body, 'lastName'),
    })
    res
      .status(201)
      .location(`${req.baseUrl}/users/${encodeURIComponent(user.email)}`)
      .json(user)
  })

  router.patch('/users/:email', (req, res) => {
    const email = readEmailParam(req)
    const body: unknown = req.body
    if (!isRecord(body)) throw invalid('invalid_request', 'Expected a JSON object')
    if (!users.find(email)) throw userNotFound(email)
    // R3: the email is the identifier and cannot be changed.
    if (
      body.email !== undefined &&
      (typeof body.email !== 'string' || body.email.toLowerCase() !== email)
    )
      throw invalid('identifier_immutable', 'The email is the identifier and cannot be changed')
    if (body.status === undefined) {
      // R3: name updates have no effect — accepted, ignored.
      res.json(users.find(email))
      return
    }
    if (body.status !== 'active' && body.status !== 'suspended')
      throw invalid('invalid_status', 'status must be active or suspended')
    res.json(users.setStatus(email, body.status, 'scim'))
  })

  router.post('/users/:email/remove', (req, res) => {
    res.json(users.remove(readEmailParam(req)))
  })

  router.delete('/users/:email', (req, res) => {
    const email = readEmailParam(req)
    // R4/R5: permanent deletion is an Advanced Control feature.
    if (!settings.advancedControl)
      throw new SimulatorHttpError(
        403,
        'advanced_control_required',
        'Deleting needs Advanced Control',
      )
    if (readQuery(req.query.confirm) !== 'true')
      throw invalid('confirmation_required', 'Permanent deletion needs ?confirm=true')
    users.destroy(email)
    res.status(204).end()
  })

  router.get('/policy-templates', (_req, res) => {
    res.json({ policyTemplates: settings.policyTemplates.map((name) => ({ name })) })
  })

  router.get('/license', (_req, res) => {
    res.json(users.license())
  })

  // R1/R2: groups are unsupported; the API has no group endpoints at all.
  router.all('/groups{/*rest}', () => {
    throw new SimulatorHttpError(404, 'not_found', 'There are no group endpoints')
  })
}
