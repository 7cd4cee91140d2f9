import express, { Router } from 'express'
import type { ConfigGeneration, ReloadOutcome } from '../config/config-manager.ts'
import type { UpstreamRegistry } from '../connectors/upstream-registry.ts'
import { bodyErrors } from '../http/scim-json.ts'
import { connectionStatuses } from './connection-status.ts'
import { describeConnection, readEventFilters, toEventQuery } from './dashboard.ts'
import { buildOverview, type OverviewSources } from './overview-data.ts'
import { badRequest, endpointNotFound, invalidValue } from '../scim/errors.ts'
import { isJsonObject } from '../scim/types.ts'
import type { JobState, OutboxStore } from '../store/outbox.ts'
import type { TokenRecord, TokenStore } from '../store/tokens.ts'
import { issueToken } from '../tenancy/tokens.ts'

export interface AdminApiOptions extends OverviewSources {
  tokens: TokenStore
  config: () => ConfigGeneration<unknown>
  lastReload: () => ReloadOutcome | null
  reload: (reason: string) => Promise<ReloadOutcome>
  upstream: UpstreamRegistry
  outbox: OutboxStore
  now: () => Date
}

/** Token metadata only: never the hash, never the secret. */
function describeToken(t: TokenRecord) {
  return {
    id: t.id,
    prefix: `scgw_${t.prefix}`,
    tenant: t.tenant,
    connection: t.connection,
    label: t.label,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    revokedAt: t.revokedAt,
    lastUsedAt: t.lastUsedAt,
  }
}

const MAX_DAYS = 3650
const JOB_STATES: readonly JobState[] = ['queued', 'running', 'done', 'dead']

/** The admin JSON API under `/admin/api/`: tokens and configuration. */
export function adminApi(options: AdminApiOptions): Router {
  const router = Router()
  router.use(express.json({ limit: 16 * 1024 }), bodyErrors(16 * 1024))

  router.get('/tokens', async (req, res) => {
    const tenant = typeof req.query.tenant === 'string' ? req.query.tenant : undefined
    const tokens = await options.tokens.list(tenant ? { tenant } : {})
    res.json({ tokens: tokens.map(describeToken) })
  })

  router.post('/tokens', async (req, res) => {
    const body = req.body as unknown
    if (!isJsonObject(body)) throw badRequest('Body must be a JSON object')
    const { tenant, connection, label, expiresInDays } = body
    if (typeof tenant !== 'string' || typeof connection !== 'string') {
      throw invalidValue('tenant and connection are required strings')
    }
    if (!options.config().tenants.get(tenant)?.connections[connection]) {
      throw invalidValue(`No connection ${connection} in tenant ${tenant}`)
    }
    if (label !== undefined && (typeof label !== 'string' || label.length > 200)) {
      throw invalidValue('label must be a string of at most 200 characters')
    }
    if (
      expiresInDays !== undefined &&
      (typeof expiresInDays !== 'number' ||
        !Number.isInteger(expiresInDays) ||
        expiresInDays < 1 ||
        expiresInDays > MAX_DAYS)
    ) {
      throw invalidValue(`expiresInDays must be a whole number from 1 to ${MAX_DAYS}`)
    }
    const now = options.now()
    const issued = await issueToken(options.tokens, {
      tenant,
      connection,
      now,
      ...(typeof label === 'string' ? { label } : {}),
      ...(typeof expiresInDays === 'number'
        ? { expiresAt: new Date(now.getTime() + expiresInDays * 86_400_000) }
        : {}),
    })
    res.status(201).json({ ...describeToken(issued.record), token: issued.token })
  })

  router.delete('/tokens/:id', async (req, res) => {
    if (!(await options.tokens.revoke(req.params.id, options.now().toISOString()))) {
      throw endpointNotFound(`No active token ${req.params.id}`)
    }
    res.status(204).end()
  })

  router.get('/connections', async (_req, res) => {
    const backlog = new Map((await options.outbox.backlog()).map((b) => [b.connectionKey, b]))
    // Users the product still waits on (e.g. invited until they finish account setup).
    const waiting = new Map<string, Record<string, number>>()
    for (const s of await options.productStates.counts())
      waiting.set(s.connectionKey, { ...waiting.get(s.connectionKey), [s.state]: s.count })
    res.json({
      connections: connectionStatuses(options.config(), options.upstream, options.now()).map(
        (c) => {
          const b = backlog.get(`${c.tenant}/${c.connection}`)
          return {
            ...c,
            outbox: {
              queued: b?.queued ?? 0,
              running: b?.running ?? 0,
              dead: b?.dead ?? 0,
              oldestQueuedAt: b?.oldestQueuedAt ?? null,
            },
            productStates: waiting.get(`${c.tenant}/${c.connection}`) ?? {},
          }
        },
      ),
    })
  })

  router.get('/overview', async (_req, res) => {
    res.json(await buildOverview(options))
  })

  router.get('/tenants/:tenant/connections/:connection/events', async (req, res) => {
    const tenant = String(req.params.tenant)
    const connection = String(req.params.connection)
    if (!describeConnection(options, tenant, connection))
      throw endpointNotFound('No such tenant connection')
    const filters = readEventFilters(req.query)
    const limit = Math.min(200, Math.max(1, Number(req.query.limit) || 50))
    const events = await options.events.list(toEventQuery(tenant, connection, filters, limit))
    res.json({ events, rules: describeConnection(options, tenant, connection) })
  })

  router.get('/outbox', async (req, res) => {
    const tenant = typeof req.query.tenant === 'string' ? req.query.tenant : undefined
    const state = typeof req.query.state === 'string' ? req.query.state : undefined
    if (state !== undefined && !JOB_STATES.includes(state as JobState))
      throw invalidValue(`state must be one of ${JOB_STATES.join(', ')}`)
    const jobs = await options.outbox.list({
      ...(tenant ? { tenant } : {}),
      ...(state ? { state: state as JobState } : {}),
    })
    res.json({ jobs })
  })

  router.post('/outbox/:id/retry', async (req, res) => {
    if (!(await options.outbox.retry(Number(req.params.id), options.now().toISOString())))
      throw endpointNotFound(`No dead or queued job ${req.params.id}`)
    res.status(204).end()
  })

  router.delete('/outbox/:id', async (req, res) => {
    if (!(await options.outbox.drop(Number(req.params.id))))
      throw endpointNotFound(`No job ${req.params.id} that is not running`)
    res.status(204).end()
  })

  router.get('/config', (_req, res) => {
    const current = options.config()
    res.json({
      generation: current.number,
      loadedAt: current.loadedAt,
      tenants: [...current.tenants.values()].map((t) => ({
        tenant: t.tenant,
        displayName: t.displayName,
        dialect: t.dialect,
        jwt: t.jwt !== undefined,
        connections: Object.entries(t.connections).map(([name, c]) => ({
          name,
          connector: c.connector,
        })),
      })),
      lastReload: options.lastReload(),
    })
  })

  router.post('/config/reload', async (_req, res) => {
    const outcome = await options.reload('admin API')
    res.status(outcome.ok ? 200 : 422).json(outcome)
  })

  return router
}
