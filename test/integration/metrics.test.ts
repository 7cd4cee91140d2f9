import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express, { type Express } from 'express'
import { expect } from 'chai'
import { register as globalRegistry } from 'prom-client'
import {
  breakerStates,
  createMetrics,
  type BacklogCount,
  type QuarantineState,
} from '../../src/http/metrics.ts'
import type { RequestTrace } from '../../src/scim/types.ts'
import { expectScimError, scimClient } from '../helpers/scim-client.ts'
import { createUser, patchOf } from '../helpers/scim-fixtures.ts'
import { simFault, startProducts, type ProductGateway } from '../helpers/start-products.ts'

type Labels = Record<string, string>

/** One sample of the Prometheus text exposition, matched on its exact label set. */
function sampleOf(text: string, name: string, labels: Labels): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort())
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const found = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(
      ([, key = '', value = '']) => [key, value],
    )
    if (JSON.stringify(found.sort()) === wanted) return Number(match[3])
  }
  return undefined
}

async function listenOn(app: Express): Promise<{ server: Server; origin: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => server.close(() => resolve()))

describe('metrics', () => {
  describe('collected from request scope, trace and providers', () => {
    let server: Server
    let origin = ''
    let quarantined: QuarantineState[] = []
    let backlog: () => Promise<BacklogCount[]> = () => Promise.resolve([])
    /** The trace the next scoped request's "service" leaves behind. */
    let trace: RequestTrace = { upstream: [], ignored: [] }

    before(async () => {
      const metrics = createMetrics({ quarantined: () => quarantined, backlog: () => backlog() })
      const app = express()
      app.use(metrics.middleware())
      app.get('/metrics', metrics.handler())
      // Imitates the gateway: authentication sets the scope, the connection's service the trace.
      app.all('/t/:tenant/:connection', (req, res) => {
        res.locals.scope = {
          tenant: req.params.tenant,
          connection: req.params.connection,
          tokenId: 'tok-1',
        }
        res.locals.trace = trace
        res.status(req.method === 'POST' ? 201 : 200).end()
      })
      app.all('/unscoped', (_req, res) => {
        res.status(401).end()
      })
      ;({ server, origin } = await listenOn(app))
    })
    after(() => closeServer(server))
    beforeEach(() => {
      quarantined = []
      backlog = () => Promise.resolve([])
      trace = { upstream: [], ignored: [] }
    })

    async function scrape(): Promise<string> {
      const res = await fetch(`${origin}/metrics`)
      expect(res.status).to.equal(200)
      expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/)
      return res.text()
    }

    it('counts each request once under its tenant, connection, method and status, and times it', async () => {
      await fetch(`${origin}/t/acme/torii`)
      await fetch(`${origin}/t/acme/torii`)
      await fetch(`${origin}/t/acme/torii`, { method: 'POST' })
      await fetch(`${origin}/t/contoso/torii`)
      const text = await scrape()
      const acme = { tenant: 'acme', connection: 'torii' }
      expect(
        sampleOf(text, 'scim_requests_total', { ...acme, method: 'GET', status: '200' }),
      ).to.equal(2)
      expect(
        sampleOf(text, 'scim_requests_total', { ...acme, method: 'POST', status: '201' }),
      ).to.equal(1)
      expect(
        sampleOf(text, 'scim_requests_total', {
          tenant: 'contoso',
          connection: 'torii',
          method: 'GET',
          status: '200',
        }),
      ).to.equal(1)
      expect(
        sampleOf(text, 'scim_request_duration_seconds_count', { ...acme, method: 'GET' }),
      ).to.equal(2)
      expect(
        sampleOf(text, 'scim_request_duration_seconds_bucket', {
          ...acme,
          method: 'GET',
          le: '+Inf',
        }),
      ).to.equal(2)
      expect(
        sampleOf(text, 'scim_request_duration_seconds_sum', { ...acme, method: 'GET' }),
      ).to.be.above(0)
    })

    it('counts requests without a scope under an empty tenant and connection', async () => {
      const before = await scrape()
      const labels = { tenant: '', connection: '', method: 'GET', status: '401' }
      const was = sampleOf(before, 'scim_requests_total', labels) ?? 0
      await fetch(`${origin}/unscoped`)
      await fetch(`${origin}/unscoped`)
      expect(sampleOf(await scrape(), 'scim_requests_total', labels)).to.equal(was + 2)
    })

    it('counts upstream calls by status, with retries, 429s and failures, from the trace', async () => {
      trace = {
        upstream: [
          { method: 'POST', path: '/users/invite', status: 429, ms: 12, attempt: 1 },
          { method: 'POST', path: '/users/invite', status: 201, ms: 30, attempt: 2 },
          { method: 'PATCH', path: '/users/x', status: 503, ms: 40, attempt: 1 },
          { method: 'PATCH', path: '/users/x', status: 'quarantined', ms: 0, attempt: 2 },
        ],
        ignored: [],
      }
      await fetch(`${origin}/t/globex/clumio`, { method: 'POST' })
      const text = await scrape()
      const labels = { tenant: 'globex', connection: 'clumio' }
      const calls = (status: string) =>
        sampleOf(text, 'scim_upstream_calls_total', { ...labels, status })
      expect([calls('429'), calls('201'), calls('503'), calls('quarantined')]).to.deep.equal([
        1, 1, 1, 1,
      ])
      expect(sampleOf(text, 'scim_upstream_retries_total', labels)).to.equal(2)
      expect(sampleOf(text, 'scim_upstream_rate_limited_total', labels)).to.equal(1)
      expect(sampleOf(text, 'scim_upstream_failures_total', labels)).to.equal(2)
      // The quarantined call never left the gateway: it is counted, not timed.
      expect(sampleOf(text, 'scim_upstream_call_duration_seconds_count', labels)).to.equal(3)
      expect(sampleOf(text, 'scim_upstream_call_duration_seconds_sum', labels)).to.be.closeTo(
        0.082,
        1e-9,
      )
      expect(
        sampleOf(text, 'scim_upstream_call_duration_seconds_bucket', { ...labels, le: '0.025' }),
      ).to.equal(1)
    })

    it('shows a connection quarantined while its breaker is open or half-open, and drops a removed one', async () => {
      quarantined = [
        { connectionKey: 'acme/torii', state: 'closed' },
        { connectionKey: 'acme/tresorit', state: 'open' },
        { connectionKey: 'contoso/infisical', state: 'half-open' },
      ]
      let text = await scrape()
      const gauge = (tenant: string, connection: string) =>
        sampleOf(text, 'scim_connection_quarantined', { tenant, connection })
      expect([
        gauge('acme', 'torii'),
        gauge('acme', 'tresorit'),
        gauge('contoso', 'infisical'),
      ]).to.deep.equal([0, 1, 1])

      quarantined = [{ connectionKey: 'acme/torii', state: 'open' }]
      text = await scrape()
      expect(gauge('acme', 'torii')).to.equal(1)
      expect(gauge('acme', 'tresorit')).to.equal(undefined)
    })

    it('shows the outbox backlog per connection as queued and dead, read on each scrape', async () => {
      backlog = () =>
        Promise.resolve([
          { connectionKey: 'acme/clumio', queued: 1000, dead: 2 },
          { connectionKey: 'contoso/clumio', queued: 0, dead: 0 },
        ])
      let text = await scrape()
      const gauge = (tenant: string, state: string) =>
        sampleOf(text, 'scim_outbox_backlog', { tenant, connection: 'clumio', state })
      expect([gauge('acme', 'queued'), gauge('acme', 'dead')]).to.deep.equal([1000, 2])
      expect([gauge('contoso', 'queued'), gauge('contoso', 'dead')]).to.deep.equal([0, 0])

      backlog = () => Promise.resolve([{ connectionKey: 'acme/clumio', queued: 10, dead: 2 }])
      text = await scrape()
      expect(gauge('acme', 'queued')).to.equal(10)
      expect(gauge('contoso', 'queued')).to.equal(undefined)
    })

    it('still answers a scrape when the backlog cannot be read, without backlog series', async () => {
      backlog = () => Promise.resolve([{ connectionKey: 'acme/clumio', queued: 5, dead: 0 }])
      expect(await scrape()).to.include('scim_outbox_backlog{')
      backlog = () => Promise.reject(new Error('SQLITE_BUSY'))
      await fetch(`${origin}/t/acme/clumio`)
      const text = await scrape()
      expect(text).to.not.include('scim_outbox_backlog{')
      expect(text).to.include('scim_requests_total{')
    })

    it('keeps each gateway in a registry of its own, never the global one', async () => {
      const other = createMetrics({ quarantined: () => [], backlog: () => Promise.resolve([]) })
      const text = await other.registry.metrics()
      expect(text).to.include('# TYPE scim_requests_total counter')
      expect(
        sampleOf(text, 'scim_requests_total', {
          tenant: 'acme',
          connection: 'torii',
          method: 'GET',
          status: '200',
        }),
      ).to.equal(undefined)
      expect(await globalRegistry.metrics()).to.not.include('scim_')
    })
  })

  describe('around a real gateway and a product simulator', () => {
    let products: ProductGateway
    let server: Server
    let origin = ''
    let tresoritToken = ''

    before(async () => {
      products = await startProducts()
      const { gateway } = products.started
      const metrics = createMetrics({
        quarantined: breakerStates(
          () => gateway.config.current(),
          (key) => gateway.upstream.health(key),
        ),
        backlog: () => gateway.outbox.backlog(),
      })
      // The gateway app is mounted whole behind the metrics middleware: res.locals is shared,
      // so the scope and trace it sets are there when the answer finishes.
      const outer = express()
      outer.use(metrics.middleware())
      outer.get('/metrics', metrics.handler())
      outer.use(gateway.app)
      ;({ server, origin } = await listenOn(outer))
      tresoritToken = await products.started.token('demo', 'tresorit')
    })
    after(async () => {
      await closeServer(server)
      await products.close()
    })

    const scrape = async () => (await fetch(`${origin}/metrics`)).text()
    const tresorit = { tenant: 'demo', connection: 'tresorit' }

    it('counts SCIM requests under the connection the token names, and never shows a token', async () => {
      const token = await products.started.token('demo', 'directory')
      const labels = { tenant: 'demo', connection: 'directory', method: 'POST', status: '201' }
      const was = sampleOf(await scrape(), 'scim_requests_total', labels) ?? 0
      const scim = scimClient({ baseUrl: `${origin}/scim/v2`, token })
      await createUser(scim, 'metered@example.com')
      await createUser(scim, 'counted@example.com')
      const refused = await fetch(`${origin}/scim/v2/Users`, {
        headers: { authorization: 'Bearer scgw_not-a-real-token' },
      })
      expect(refused.status).to.equal(401)

      const text = await scrape()
      expect(sampleOf(text, 'scim_requests_total', labels)).to.equal(was + 2)
      expect(
        sampleOf(text, 'scim_requests_total', {
          tenant: '',
          connection: '',
          method: 'GET',
          status: '401',
        }),
      ).to.be.at.least(1)
      expect(text).to.not.include(token)
      expect(text).to.not.include('not-a-real-token')
      expect(text).to.not.include('scgw_')
    })

    it('counts a product 429 and its retry, then 503s into quarantine, and shows the quarantine', async () => {
      let text = await scrape()
      expect(sampleOf(text, 'scim_connection_quarantined', tresorit)).to.equal(0)
      expect(
        sampleOf(text, 'scim_connection_quarantined', { tenant: 'demo', connection: 'torii' }),
      ).to.equal(0)
      // The built-in directory has no product and no breaker.
      expect(text).to.not.include(
        'scim_connection_quarantined{tenant="demo",connection="directory"}',
      )

      const sim = products.tresorit
      const scim = scimClient({ baseUrl: `${origin}/scim/v2`, token: tresoritToken })
      await simFault(sim, { status: 429, retryAfter: 1 })
      const user = await createUser(scim, 'Patient@Example.com')
      text = await scrape()
      expect(sampleOf(text, 'scim_upstream_rate_limited_total', tresorit)).to.equal(1)
      expect(sampleOf(text, 'scim_upstream_calls_total', { ...tresorit, status: '429' })).to.equal(
        1,
      )
      expect(sampleOf(text, 'scim_upstream_retries_total', tresorit)).to.equal(1)
      expect(sampleOf(text, 'scim_upstream_failures_total', tresorit)).to.equal(undefined)
      const callsAfterCreate = sampleOf(text, 'scim_upstream_call_duration_seconds_count', tresorit)
      expect(callsAfterCreate).to.be.at.least(2)

      // The shipped profile quarantines after 5 consecutive failures: an idempotent update
      // tries 4 times (502), the next one fails once more and is then refused at once (503).
      await simFault(sim, { status: 503, count: 20 })
      const path = `/Users/${user.id as string}`
      const deactivate = patchOf({ op: 'replace', path: 'active', value: false })
      expectScimError(await scim.patch(path, deactivate), 502)
      expectScimError(await scim.patch(path, deactivate), 503)
      await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' })

      text = await scrape()
      expect(sampleOf(text, 'scim_upstream_calls_total', { ...tresorit, status: '503' })).to.equal(
        5,
      )
      expect(
        sampleOf(text, 'scim_upstream_calls_total', { ...tresorit, status: 'quarantined' }),
      ).to.equal(1)
      expect(sampleOf(text, 'scim_upstream_failures_total', tresorit)).to.equal(6)
      // 1 for the create, 3 for the first update, 1 for the second (refused by the breaker).
      expect(sampleOf(text, 'scim_upstream_retries_total', tresorit)).to.equal(5)
      expect(sampleOf(text, 'scim_upstream_call_duration_seconds_count', tresorit)).to.equal(
        (callsAfterCreate ?? 0) + 5,
      )
      expect(
        sampleOf(text, 'scim_requests_total', { ...tresorit, method: 'PATCH', status: '503' }),
      ).to.equal(1)
      expect(sampleOf(text, 'scim_connection_quarantined', tresorit)).to.equal(1)
    })

    it('shows the outbox backlog of a connection as queued and dead', async () => {
      const { outbox, db } = products.started.gateway
      const now = new Date().toISOString()
      const later = new Date(Date.now() + 3_600_000).toISOString()
      const job = (resource: string) => ({
        connectionKey: 'demo/torii',
        kind: 'metrics-test',
        resource,
        payload: {},
        notBefore: later,
      })
      await outbox.enqueue(job('User:1'), now)
      await outbox.enqueue(job('User:2'), now)
      const dead = await outbox.enqueue(job('User:3'), now)
      await db('outbox').where({ id: dead }).update({ state: 'dead' })

      const text = await scrape()
      const labels = { tenant: 'demo', connection: 'torii' }
      expect(sampleOf(text, 'scim_outbox_backlog', { ...labels, state: 'queued' })).to.equal(2)
      expect(sampleOf(text, 'scim_outbox_backlog', { ...labels, state: 'dead' })).to.equal(1)
    })
  })
})
