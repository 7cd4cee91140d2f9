import express, { Router, type Request, type RequestHandler, type Response } from 'express'
import type { EventQuery } from '../store/events.ts'
import type { RateLimiter } from '../tenancy/rate-limit.ts'
import { connectionPage, loginPage, notFoundPage, overviewPage } from './dashboard-views.ts'
import { buildOverview, type OverviewSources } from './overview-data.ts'
import { createSessionKeys, readCookie, SESSION_COOKIE } from './session.ts'

export interface DashboardOptions extends OverviewSources {
  adminToken: string
  reload: (reason: string) => Promise<unknown>
  limiter: RateLimiter
}

const OUTCOMES = new Set([
  'created',
  'updated',
  'deleted',
  'deactivated',
  'removed',
  'rejected',
  'failed',
  'done',
  'skipped',
  'retrying',
  'dead',
])
const RESOURCES = new Set(['User', 'Group'])
/** Sign-in attempts per client address: enough for a person, too few to guess a credential. */
const LOGIN_LIMIT = { requestsPerSecond: 10 / 60, burst: 10 }

export interface EventFilters {
  outcome?: string
  resource?: string
  q?: string
  since?: string
  before?: number
}

/** Log filters from a query string; anything unknown or hostile is dropped, never echoed raw. */
export function readEventFilters(query: Record<string, unknown>): EventFilters {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined)
  const outcome = text(query.outcome)
  const resource = text(query.resource)
  const q = text(query.q)?.slice(0, 200)
  const sinceText = text(query.since)
  const since = sinceText && !Number.isNaN(Date.parse(sinceText)) ? sinceText : undefined
  const before = text(query.before)
  return {
    ...(outcome && OUTCOMES.has(outcome) ? { outcome } : {}),
    ...(resource && RESOURCES.has(resource) ? { resource } : {}),
    ...(q ? { q } : {}),
    ...(since ? { since } : {}),
    ...(before && /^\d{1,12}$/.test(before) ? { before: Number(before) } : {}),
  }
}

/** The provisioning-log query for a connection and its filters. */
export function toEventQuery(
  tenant: string,
  connection: string,
  filters: EventFilters,
  limit: number,
): EventQuery {
  return {
    tenant,
    connection,
    limit,
    ...(filters.outcome ? { outcome: filters.outcome } : {}),
    ...(filters.resource ? { resourceType: filters.resource } : {}),
    ...(filters.q ? { subject: filters.q } : {}),
    ...(filters.since ? { since: new Date(filters.since).toISOString() } : {}),
    ...(filters.before !== undefined ? { before: filters.before } : {}),
  }
}

/** The connection's rules and settings as loaded — secrets by name only. */
export function describeConnection(sources: OverviewSources, tenant: string, connection: string) {
  const generation = sources.config()
  const config = generation.tenants.get(tenant)?.connections[connection]
  if (!config) return undefined
  const profile = generation.profiles.get(config.connector)
  return {
    connector: config.connector,
    baseUrl: config.baseUrl ?? null,
    deletePolicy: config.deletePolicy ?? profile?.deletePolicy ?? 'hard',
    secrets: Object.keys(config.secrets),
    settings: config.settings,
    rules:
      profile?.rules.rules.map((rule) => {
        const shown: Record<string, unknown> = { ...rule }
        delete shown.keys
        return shown
      }) ?? [],
  }
}

/** The admin dashboard: server-rendered pages behind a signed, HttpOnly, SameSite=Strict session. */
export function dashboard(options: DashboardOptions): Router {
  const router = Router()
  const keys = createSessionKeys(options.adminToken)
  router.use(express.urlencoded({ extended: false, limit: 4096 }))

  const send = (res: Response, status: number, body: string) => {
    res.status(status).set('Cache-Control', 'no-store').type('html').send(body)
  }

  router.get('/login', (_req, res) => send(res, 200, loginPage()))

  router.post('/login', (req, res) => {
    const decision = options.limiter(`login:${req.ip ?? ''}`, LOGIN_LIMIT)
    if (!decision.ok) {
      res.set('Retry-After', String(decision.retryAfterSeconds))
      send(res, 429, loginPage('Too many attempts; wait a minute.'))
      return
    }
    const token: unknown = (req.body as Record<string, unknown> | undefined)?.token
    if (!keys.checkCredential(token)) {
      send(res, 401, loginPage('Wrong admin credential.'))
      return
    }
    const { cookie } = keys.issue(options.now().getTime())
    res.cookie(SESSION_COOKIE, cookie, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/admin',
      maxAge: 8 * 3_600_000,
    })
    res.redirect(303, '/admin')
  })

  const requireSession: RequestHandler = (req, res, next) => {
    const nonce = keys.verify(
      readCookie(req.get('cookie'), SESSION_COOKIE),
      options.now().getTime(),
    )
    if (nonce) {
      res.locals.adminNonce = nonce
      next()
    } else if (req.method === 'GET') res.redirect(303, '/admin/login')
    else send(res, 401, loginPage('Your session has ended; sign in again.'))
  }

  // Forms carry a token bound to the session: a cross-site post cannot know it.
  const requireCsrf: RequestHandler = (req, res, next) => {
    const csrf: unknown = (req.body as Record<string, unknown> | undefined)?.csrf
    if (keys.checkCsrf(res.locals.adminNonce ?? '', csrf)) next()
    else
      send(res, 403, notFoundPage('The form was not sent from this dashboard (CSRF check failed).'))
  }

  const csrfOf = (res: Response) => keys.csrfFor(res.locals.adminNonce ?? '')

  router.post('/logout', requireSession, requireCsrf, (_req, res) => {
    keys.revoke(res.locals.adminNonce ?? '', options.now().getTime())
    res.clearCookie(SESSION_COOKIE, { path: '/admin' })
    res.redirect(303, '/admin/login')
  })

  router.post('/reload', requireSession, requireCsrf, async (_req, res) => {
    await options.reload('dashboard')
    res.redirect(303, '/admin')
  })

  router.get('/', requireSession, async (_req, res) => {
    send(res, 200, overviewPage(await buildOverview(options), csrfOf(res)))
  })

  router.get('/t/:tenant/:connection', requireSession, async (req: Request, res) => {
    const tenant = String(req.params.tenant)
    const connection = String(req.params.connection)
    const described = describeConnection(options, tenant, connection)
    const overview = (await buildOverview(options)).connections.find(
      (c) => c.tenant === tenant && c.connection === connection,
    )
    if (!described || !overview) {
      send(res, 404, notFoundPage('No such tenant connection.'))
      return
    }
    const filters = readEventFilters(req.query)
    const limit = 50
    const events = await options.events.list(toEventQuery(tenant, connection, filters, limit))
    const hours = await options.events.hourly(
      tenant,
      connection,
      new Date(options.now().getTime() - 24 * 3_600_000).toISOString(),
    )
    const tokens = (await options.tokens.list({ tenant })).filter(
      (t) => t.connection === connection,
    )
    const last = events.at(-1)
    send(
      res,
      200,
      connectionPage(
        {
          overview,
          events,
          hours,
          rules: described,
          tokens,
          filters: {
            ...(filters.outcome ? { outcome: filters.outcome } : {}),
            ...(filters.resource ? { resource: filters.resource } : {}),
            ...(filters.q ? { q: filters.q } : {}),
            ...(filters.since ? { since: filters.since } : {}),
          },
          ...(events.length === limit && last ? { next: last.seq } : {}),
        },
        csrfOf(res),
      ),
    )
  })

  return router
}
