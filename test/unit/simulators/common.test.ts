import { expect } from 'chai'
import { createSimulatorApp } from '../../../src/simulators/common/app.ts'
import { createClock, type SimulatorClock } from '../../../src/simulators/common/clock.ts'
import { SimulatorHttpError } from '../../../src/simulators/common/errors.ts'
import type { RateLimitSetting } from '../../../src/simulators/common/rate-limit.ts'
import { readAuthScheme } from '../../../src/simulators/common/request-log.ts'
import { startSimulator, type StartedSimulator } from '../../../src/simulators/common/start.ts'
import { call, pick } from './http.ts'

const TOKEN = 'toy-secret-credential'
const OTHER = 'toy-other-credential'

interface Toy {
  sim: StartedSimulator
  clock: SimulatorClock
  get(path: string, token?: string): ReturnType<typeof call>
}

/** A toy product on the shared frame: `{code, message}` errors, a list of names. */
async function startToy(rateLimit: RateLimitSetting | false = false): Promise<Toy> {
  const clock = createClock()
  let names: string[] = []
  const app = createSimulatorApp({
    clock,
    credentials: [{ token: TOKEN }, { token: OTHER, expiresAt: '2031-01-01T00:00:00Z' }],
    rateLimits: rateLimit && [{ name: 'all', ...rateLimit, matches: () => true }],
    formatError: (error) => ({
      body: { code: error.code, message: error.message },
      contentType: 'application/json',
    }),
    routes: (router) => {
      router.get('/things', (_req, res) => {
        res.json({ names })
      })
      router.post('/things', (req, res) => {
        const body: unknown = req.body
        const name = pick(body, 'name')
        if (typeof name !== 'string') throw new SimulatorHttpError(400, 'bad_name', 'name?')
        names.push(name)
        res.status(201).json({ name })
      })
    },
    readState: () => ({ names }),
    resetState: () => {
      names = []
    },
  })
  const sim = await startSimulator(app)
  return { sim, clock, get: (path, token = TOKEN) => call(sim.url, 'GET', path, { token }) }
}

describe('simulators/common', () => {
  let toy: Toy
  beforeEach(async () => {
    toy = await startToy()
  })
  afterEach(async () => {
    await toy.sim.close()
  })

  describe('framing', () => {
    it('listens on 127.0.0.1', () => {
      expect(toy.sim.url).to.match(/^http:\/\/127\.0\.0\.1:[0-9]+$/)
    })

    for (const contentType of ['application/json', 'application/scim+json']) {
      it(`parses ${contentType} bodies`, async () => {
        const reply = await call(toy.sim.url, 'POST', '/things', {
          token: TOKEN,
          body: { name: 'a' },
          contentType,
        })
        expect(reply.status).to.equal(201)
        expect(reply.body).to.deep.equal({ name: 'a' })
      })
    }

    it('answers malformed JSON with 400 in the product shape', async () => {
      const response = await fetch(`${toy.sim.url}/things`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: '{"name":',
      })
      expect(response.status).to.equal(400)
      expect(await response.json()).to.deep.include({ code: 'invalid_json' })
    })

    it('answers unknown routes with 404 in the product shape', async () => {
      const reply = await toy.get('/nowhere')
      expect(reply.status).to.equal(404)
      expect(reply.body).to.deep.include({ code: 'not_found' })
    })
  })

  describe('auth', () => {
    const cases: [string, Record<string, string>][] = [
      ['no header', {}],
      ['a wrong token', { authorization: 'Bearer nope' }],
      ['another scheme', { authorization: `Basic ${TOKEN}` }],
      ['a bare token', { authorization: TOKEN }],
    ]
    for (const [name, headers] of cases) {
      it(`answers 401 for ${name}`, async () => {
        const reply = await call(toy.sim.url, 'GET', '/things', { headers })
        expect(reply.status).to.equal(401)
        expect(reply.headers.get('www-authenticate')).to.equal('Bearer')
        expect(reply.body).to.deep.include({ code: 'unauthorized' })
      })
    }

    it('refuses a credential once the simulator clock passes its expiry', async () => {
      expect((await toy.get('/things', OTHER)).status).to.equal(200)
      await call(toy.sim.url, 'POST', '/_sim/clock', { body: { now: '2031-01-01T00:00:01Z' } })
      const reply = await toy.get('/things', OTHER)
      expect(reply.status).to.equal(401)
      expect(pick(reply.body, 'message')).to.match(/expired/)
      expect((await toy.get('/things')).status).to.equal(200)
    })
  })

  describe('POST /_sim/faults', () => {
    const fault = (body: unknown) => call(toy.sim.url, 'POST', '/_sim/faults', { body })

    it('answers the next N requests with the status and Retry-After, then serves normally', async () => {
      expect((await fault({ count: 2, status: 503, retryAfter: 2 })).status).to.equal(201)
      for (let i = 0; i < 2; i++) {
        const reply = await toy.get('/things')
        expect(reply.status).to.equal(503)
        expect(reply.headers.get('retry-after')).to.equal('2')
        expect(reply.body).to.deep.include({ code: 'injected_fault' })
      }
      expect((await toy.get('/things')).status).to.equal(200)
    })

    it('does not let /_sim requests consume faults', async () => {
      await fault({ count: 1, status: 500 })
      await call(toy.sim.url, 'GET', '/_sim/state')
      expect((await toy.get('/things')).status).to.equal(500)
    })

    it('delays, then serves normally when no status is given', async () => {
      await fault({ count: 1, delayMs: 300 })
      const started = Date.now()
      const reply = await toy.get('/things')
      expect(reply.status).to.equal(200)
      expect(Date.now() - started).to.be.at.least(290)
    })

    it('delays, then answers the status', async () => {
      await fault({ count: 1, delayMs: 200, status: 502 })
      const started = Date.now()
      expect((await toy.get('/things')).status).to.equal(502)
      expect(Date.now() - started).to.be.at.least(190)
    })

    it('drops the connection without a response', async () => {
      await fault({ count: 1, drop: true })
      let failed = false
      try {
        await toy.get('/things')
      } catch {
        failed = true
      }
      expect(failed, 'fetch rejects').to.equal(true)
      expect((await toy.get('/things')).status).to.equal(200)
    })

    it('queues several entries in order', async () => {
      await fault({ count: 1, status: 503 })
      await fault({ count: 2, status: 429, retryAfter: 5 })
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((await toy.get('/things')).status)
      expect(statuses).to.deep.equal([503, 429, 429, 200])
    })

    it('clears the queue on DELETE', async () => {
      await fault({ count: 5, status: 503 })
      expect((await call(toy.sim.url, 'DELETE', '/_sim/faults')).status).to.equal(204)
      expect((await toy.get('/things')).status).to.equal(200)
    })

    const invalid: [string, unknown][] = [
      ['nothing to do', { count: 1 }],
      ['a zero count', { count: 0, status: 503 }],
      ['a status out of range', { status: 99 }],
      ['a non-boolean drop', { drop: 'yes' }],
      ['a non-object', [1]],
    ]
    for (const [name, body] of invalid) {
      it(`refuses ${name} with 400`, async () => {
        expect((await fault(body)).status).to.equal(400)
      })
    }
  })

  describe('rate limit', () => {
    let limited: Toy
    beforeEach(async () => {
      limited = await startToy({ limit: 3, windowSeconds: 60 })
    })
    afterEach(async () => {
      await limited.sim.close()
    })

    it('answers 429 with Retry-After over the budget, per credential', async () => {
      for (let i = 0; i < 3; i++) expect((await limited.get('/things')).status).to.equal(200)
      const reply = await limited.get('/things')
      expect(reply.status).to.equal(429)
      expect(reply.body).to.deep.include({ code: 'rate_limit_exceeded' })
      const retryAfter = Number(reply.headers.get('retry-after'))
      expect(retryAfter).to.be.within(1, 60)
      expect((await limited.get('/things', OTHER)).status).to.equal(200)
    })

    it('opens a new window on the simulator clock', async () => {
      for (let i = 0; i < 4; i++) await limited.get('/things')
      await call(limited.sim.url, 'POST', '/_sim/clock', { body: { advanceSeconds: 61 } })
      expect((await limited.get('/things')).status).to.equal(200)
    })

    it('is lifted by rateLimit: false', async () => {
      for (let i = 0; i < 10; i++) expect((await toy.get('/things')).status).to.equal(200)
    })
  })

  describe('GET /_sim/requests', () => {
    it('records method, path, query, body, auth scheme and status, never the credential', async () => {
      await call(toy.sim.url, 'POST', '/things?x=1', { token: TOKEN, body: { name: 'n' } })
      await call(toy.sim.url, 'GET', '/things', { headers: { authorization: TOKEN } })
      await call(toy.sim.url, 'GET', '/_sim/state')
      const reply = await call(toy.sim.url, 'GET', '/_sim/requests')
      expect(reply.body).to.deep.equal({
        requests: [
          {
            at: pick(reply.body, 'requests', 0, 'at'),
            method: 'POST',
            path: '/things',
            query: { x: '1' },
            body: { name: 'n' },
            authorization: 'Bearer',
            status: 201,
          },
          {
            at: pick(reply.body, 'requests', 1, 'at'),
            method: 'GET',
            path: '/things',
            query: {},
            body: null,
            authorization: 'other',
            status: 401,
          },
        ],
      })
      expect(JSON.stringify(reply.body)).not.to.include(TOKEN)
    })

    it('records a dropped request with a null status', async () => {
      await call(toy.sim.url, 'POST', '/_sim/faults', { body: { drop: true } })
      await toy.get('/things').catch(() => undefined)
      const reply = await call(toy.sim.url, 'GET', '/_sim/requests')
      expect(pick(reply.body, 'requests', 0, 'status')).to.equal(null)
    })

    it('keeps the last 1,000 requests', async () => {
      for (let i = 0; i < 5; i++) await toy.get(`/things?old=${i}`)
      for (let batch = 0; batch < 10; batch++)
        await Promise.all(Array.from({ length: 100 }, () => toy.get('/things?new=1')))
      const reply = await call(toy.sim.url, 'GET', '/_sim/requests')
      const requests = pick(reply.body, 'requests') as unknown[]
      expect(requests).to.have.length(1000)
      expect(requests.every((record) => pick(record, 'query', 'new') === '1')).to.equal(true)
    })

    const schemes: [string | undefined, string | null][] = [
      [undefined, null],
      ['Bearer abc', 'Bearer'],
      ['basic abc', 'basic'],
      ['abc', 'other'],
      ['Bearer', 'other'],
      ['s3cret with-space', 'other'],
    ]
    for (const [header, expected] of schemes) {
      it(`keeps only the scheme of ${JSON.stringify(header)}`, () => {
        expect(readAuthScheme(header)).to.equal(expected)
      })
    }
  })

  describe('state, reset and clock', () => {
    it('GET /_sim/state shows the product state; POST /_sim/reset clears it and the log', async () => {
      await call(toy.sim.url, 'POST', '/things', { token: TOKEN, body: { name: 'kept' } })
      expect((await call(toy.sim.url, 'GET', '/_sim/state')).body).to.deep.equal({
        names: ['kept'],
      })
      expect((await call(toy.sim.url, 'POST', '/_sim/reset')).status).to.equal(204)
      expect((await call(toy.sim.url, 'GET', '/_sim/state')).body).to.deep.equal({ names: [] })
      expect((await call(toy.sim.url, 'GET', '/_sim/requests')).body).to.deep.equal({
        requests: [],
      })
    })

    it('sets and advances the clock', async () => {
      const set = await call(toy.sim.url, 'POST', '/_sim/clock', {
        body: { now: '2030-06-01T00:00:00Z' },
      })
      expect(Date.parse(String(pick(set.body, 'now')))).to.be.closeTo(Date.UTC(2030, 5, 1), 5000)
      const advanced = await call(toy.sim.url, 'POST', '/_sim/clock', {
        body: { advanceSeconds: 3600 },
      })
      expect(Date.parse(String(pick(advanced.body, 'now')))).to.be.closeTo(
        Date.UTC(2030, 5, 1, 1),
        5000,
      )
      expect(toy.clock.now().getUTCFullYear()).to.equal(2030)
      expect((await call(toy.sim.url, 'POST', '/_sim/clock', { body: {} })).status).to.equal(400)
    })
  })
})
