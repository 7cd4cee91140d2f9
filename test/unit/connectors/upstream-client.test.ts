import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import {
  createCircuitBreaker,
  type CircuitBreaker,
} from '../../../src/connectors/circuit-breaker.ts'
import { createRateBudget } from '../../../src/connectors/rate-budget.ts'
import {
  createUpstreamClient,
  parseRetryAfter,
  requireSuccess,
  UpstreamFailure,
  type UpstreamCall,
  type UpstreamClient,
  type UpstreamClientOptions,
  type UpstreamRequest,
} from '../../../src/connectors/upstream-client.ts'
import { ScimError } from '../../../src/scim/errors.ts'

const PRODUCT = 'Acme'
const TOKEN = 'acme-secret-7f3c9a1d'
const COOLDOWN_MS = 30_000

type Handler = (req: IncomingMessage, res: ServerResponse) => void

interface Received {
  method: string
  url: string
  authorization: string | undefined
  contentType: string | undefined
  body: string
}

/** Answers with `status` and a JSON body (none when `body` is undefined). */
function reply(status: number, body?: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(body === undefined ? undefined : JSON.stringify(body))
  }
}

const text =
  (status: number, body: string): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' })
    res.end(body)
  }

/** Never answers: the client's timeout must end the request. */
const hang: Handler = () => undefined

/** Drops the connection without a response. */
const drop: Handler = (req) => req.socket.destroy()

let server: Server
let baseUrl = ''
let refusedUrl = ''
/** Handlers for the next requests, in order; the last one answers every request after it. */
let script: Handler[] = []
let received: Received[] = []

function describeError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('message' in body)) return undefined
  return typeof body.message === 'string' ? body.message : undefined
}

interface Harness {
  client: UpstreamClient
  breaker: CircuitBreaker
  /** Waits the client asked for (Retry-After, backoff), in order; nothing really sleeps. */
  sleeps: number[]
  calls: UpstreamCall[]
  advance: (ms: number) => void
  headerReads: () => number
  send: (request: UpstreamRequest) => ReturnType<UpstreamClient['send']>
}

interface HarnessOptions extends Partial<UpstreamClientOptions> {
  failureThreshold?: number
  requestsPerMinute?: number
}

function harness(options: HarnessOptions = {}): Harness {
  const { failureThreshold = 10, requestsPerMinute = 6000, ...overrides } = options
  let now = 1_700_000_000_000
  const clock = () => now
  const advance = (ms: number) => (now += ms)
  const sleeps: number[] = []
  const calls: UpstreamCall[] = []
  let reads = 0
  const breaker = createCircuitBreaker({ failureThreshold, cooldownMs: COOLDOWN_MS }, clock)
  const budget = createRateBudget({ requestsPerMinute, concurrency: 4 }, clock, (ms) => {
    advance(ms)
    return Promise.resolve()
  })
  const client = createUpstreamClient({
    product: PRODUCT,
    baseUrl,
    headers: () => {
      reads += 1
      return { authorization: `Bearer ${TOKEN}` }
    },
    breaker,
    budget,
    timeoutMs: 2_000,
    maxRetries: 2,
    maxRetryWaitMs: 5_000,
    describeError,
    now: clock,
    sleep: (ms) => {
      sleeps.push(ms)
      advance(ms)
      return Promise.resolve()
    },
    random: () => 0.5,
    ...overrides,
  })
  return {
    client,
    breaker,
    sleeps,
    calls,
    advance,
    headerReads: () => reads,
    send: (request) => client.send(request, calls),
  }
}

const get = (path = '/users/u-1'): UpstreamRequest => ({ method: 'GET', path, idempotent: true })
const create = (body: unknown = { email: 'a@example.com' }): UpstreamRequest => ({
  method: 'POST',
  path: '/users',
  body,
  idempotent: false,
})

/** Backoff with `random: () => 0.5`: 100 ms × 2ⁿ × 0.75. */
const BACKOFF = [75, 150, 300]

/** The attempts recorded, without their durations (checked separately). */
function attempts(calls: readonly UpstreamCall[]) {
  for (const call of calls) expect(call.ms).to.be.a('number').and.at.least(0)
  return calls.map(({ method, path, status, attempt }) => ({ method, path, status, attempt }))
}

/** The UpstreamFailure a request ends with; fails the test when it succeeds. */
async function failureOf(promise: Promise<unknown>): Promise<UpstreamFailure> {
  try {
    await promise
  } catch (err) {
    expect(err).to.be.instanceOf(UpstreamFailure)
    const failure = err as UpstreamFailure
    expect(failure.scimError).to.be.instanceOf(ScimError)
    expectNoSecret(failure)
    return failure
  }
  return expect.fail('expected an UpstreamFailure')
}

function expectNoSecret(failure: UpstreamFailure): void {
  const shown = JSON.stringify({
    message: failure.message,
    detail: failure.scimError.detail,
    headers: failure.scimError.headers,
  })
  expect(shown).not.to.include(TOKEN)
  expect(shown.toLowerCase()).not.to.include('bearer')
}

/** What requireSuccess throws for a response; fails the test when it passes. */
function requireFailure(h: Harness, response: Awaited<ReturnType<UpstreamClient['send']>>) {
  try {
    requireSuccess(h.client, response, describeError, 'User')
  } catch (err) {
    expect(err).to.be.instanceOf(UpstreamFailure)
    expectNoSecret(err as UpstreamFailure)
    return err as UpstreamFailure
  }
  return expect.fail(`requireSuccess let ${response.status} through`)
}

describe('connectors/upstream-client', () => {
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        })
        const handler = script.length > 1 ? script.shift() : script[0]
        ;(handler ?? reply(500))(req, res)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`
    // A port that was just open and is now closed: connecting to it is refused.
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/api`
    await new Promise<void>((resolve) => closed.close(() => resolve()))
  })

  after(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  beforeEach(() => {
    script = []
    received = []
  })

  afterEach(() => {
    // Hanging requests were aborted by the client; make sure none keeps a socket open.
    server.closeIdleConnections()
  })

  describe('a successful request', () => {
    it('sends the method, path, JSON body and credential, and parses the JSON answer', async () => {
      script = [reply(201, { id: 'n-1', email: 'a@example.com' })]
      const h = harness()
      const response = await h.send(create({ email: 'a@example.com', firstName: 'Ann' }))
      expect(response.status).to.equal(201)
      expect(response.body).to.deep.equal({ id: 'n-1', email: 'a@example.com' })
      expect(response.header('content-type')).to.equal('application/json')
      expect(received).to.have.length(1)
      expect(received[0]).to.deep.equal({
        method: 'POST',
        url: '/api/users',
        authorization: `Bearer ${TOKEN}`,
        contentType: 'application/json',
        body: JSON.stringify({ email: 'a@example.com', firstName: 'Ann' }),
      })
    })

    it('sends no body and no content type for a request without a body', async () => {
      script = [reply(200, { id: 'n-1' })]
      await harness().send(get())
      expect(received[0]?.body).to.equal('')
      expect(received[0]?.contentType).to.equal(undefined)
    })

    it('reads the credential for every request it sends', async () => {
      script = [reply(200, {})]
      const h = harness()
      await h.send(get())
      await h.send(get())
      expect(h.headerReads()).to.equal(2)
    })

    it('keeps a body that is not JSON as text, and an empty body as undefined', async () => {
      const h = harness()
      script = [text(200, 'plain words')]
      expect((await h.send(get())).body).to.equal('plain words')
      script = [reply(204)]
      expect((await h.send(get())).body).to.equal(undefined)
    })

    it('records the attempt with the path less its query', async () => {
      script = [reply(200, [])]
      const h = harness()
      await h.send(get('/users?email=a%40example.com&limit=1'))
      expect(received[0]?.url).to.equal('/api/users?email=a%40example.com&limit=1')
      expect(attempts(h.calls)).to.deep.equal([
        { method: 'GET', path: '/users', status: 200, attempt: 1 },
      ])
    })
  })

  describe('429 Too Many Requests', () => {
    it("waits the product's Retry-After and resends, even a create", async () => {
      script = [
        reply(429, { message: 'slow down' }, { 'retry-after': '2' }),
        reply(201, { id: 'n-1' }),
      ]
      const h = harness()
      const response = await h.send(create())
      expect(response.status).to.equal(201)
      expect(h.sleeps).to.deep.equal([2_000])
      expect(received).to.have.length(2)
      expect(attempts(h.calls)).to.deep.equal([
        { method: 'POST', path: '/users', status: 429, attempt: 1 },
        { method: 'POST', path: '/users', status: 201, attempt: 2 },
      ])
    })

    it('passes a Retry-After longer than it may wait on to the IdP, at once', async () => {
      script = [reply(429, {}, { 'retry-after': '120' })]
      const h = harness()
      const failure = await failureOf(h.send(get()))
      expect(failure.scimError.status).to.equal(429)
      expect(failure.scimError.headers).to.deep.equal({ 'Retry-After': '120' })
      expect(failure.definite).to.equal(true)
      expect(h.sleeps).to.deep.equal([])
      expect(received).to.have.length(1)
    })

    it('gives up with 429 after maxRetries resends', async () => {
      script = [reply(429, {}, { 'retry-after': '1' })]
      const h = harness()
      const failure = await failureOf(h.send(create()))
      expect(failure.scimError.status).to.equal(429)
      expect(failure.scimError.headers['Retry-After']).to.equal('1')
      expect(h.sleeps).to.deep.equal([1_000, 1_000])
      expect(attempts(h.calls).map((c) => c.status)).to.deep.equal([429, 429, 429])
    })

    it('backs off when the product gives no Retry-After', async () => {
      script = [reply(429), reply(200, {})]
      const h = harness()
      expect((await h.send(get())).status).to.equal(200)
      expect(h.sleeps).to.deep.equal([BACKOFF[0]])
    })

    it('does not count a 429 as a failure of the product', async () => {
      script = [reply(429, {}, { 'retry-after': '0' })]
      const h = harness({ failureThreshold: 1, maxRetries: 3 })
      await failureOf(h.send(get()))
      expect(h.breaker.state()).to.equal('closed')
    })
  })

  describe('5xx', () => {
    it('resends an idempotent request maxRetries times, then answers 502 with an unknown outcome', async () => {
      script = [reply(503, { message: 'maintenance' })]
      const h = harness()
      const failure = await failureOf(h.send(get()))
      expect(failure.scimError.status).to.equal(502)
      expect(failure.scimError.detail).to.equal('Acme failed (503): maintenance')
      expect(failure.definite).to.equal(false)
      expect(failure.misconfigured).to.equal(false)
      expect(h.sleeps).to.deep.equal([BACKOFF[0], BACKOFF[1]])
      expect(attempts(h.calls)).to.deep.equal([
        { method: 'GET', path: '/users/u-1', status: 503, attempt: 1 },
        { method: 'GET', path: '/users/u-1', status: 503, attempt: 2 },
        { method: 'GET', path: '/users/u-1', status: 503, attempt: 3 },
      ])
    })

    it('returns the answer that follows a 5xx on a resend', async () => {
      script = [reply(500), reply(200, { id: 'n-1' })]
      const h = harness()
      expect((await h.send(get())).body).to.deep.equal({ id: 'n-1' })
      expect(received).to.have.length(2)
    })

    it('never resends a create after a 5xx: the product may have acted', async () => {
      script = [reply(503, { message: 'maintenance' }), reply(201, {})]
      const h = harness()
      const failure = await failureOf(h.send(create()))
      expect(failure.scimError.status).to.equal(502)
      expect(failure.definite).to.equal(false)
      expect(received).to.have.length(1)
      expect(h.sleeps).to.deep.equal([])
    })

    it('names the product and status when the 5xx body has no message', async () => {
      script = [text(502, '<html>bad gateway</html>')]
      const failure = await failureOf(harness({ maxRetries: 0 }).send(get()))
      expect(failure.scimError.detail).to.equal('Acme failed (502)')
    })
  })

  describe('timeouts', () => {
    it('answers 504 with an unknown outcome after resending an idempotent request', async () => {
      script = [hang]
      const h = harness({ timeoutMs: 150, maxRetries: 1 })
      const failure = await failureOf(h.send(get()))
      expect(failure.scimError.status).to.equal(504)
      expect(failure.scimError.detail).to.include(PRODUCT)
      expect(failure.definite).to.equal(false)
      expect(attempts(h.calls)).to.deep.equal([
        { method: 'GET', path: '/users/u-1', status: 'timeout', attempt: 1 },
        { method: 'GET', path: '/users/u-1', status: 'timeout', attempt: 2 },
      ])
    })

    it('never resends a create that timed out', async () => {
      script = [hang]
      const h = harness({ timeoutMs: 150 })
      const failure = await failureOf(h.send(create()))
      expect(failure.scimError.status).to.equal(504)
      expect(failure.definite).to.equal(false)
      expect(received).to.have.length(1)
      expect(attempts(h.calls).map((c) => c.status)).to.deep.equal(['timeout'])
    })
  })

  describe('a dropped connection', () => {
    it('answers 502 with an unknown outcome and does not resend a create', async () => {
      script = [drop]
      const h = harness()
      const failure = await failureOf(h.send(create()))
      expect(failure.scimError.status).to.equal(502)
      expect(failure.scimError.detail).to.equal('Acme is unreachable')
      expect(failure.definite).to.equal(false)
      expect(received).to.have.length(1)
      expect(attempts(h.calls)).to.deep.equal([
        { method: 'POST', path: '/users', status: 'unreachable', attempt: 1 },
      ])
    })

    it('resends an idempotent request', async () => {
      script = [drop, drop, reply(200, { id: 'n-1' })]
      const h = harness()
      expect((await h.send(get())).status).to.equal(200)
      expect(attempts(h.calls).map((c) => c.status)).to.deep.equal([
        'unreachable',
        'unreachable',
        200,
      ])
    })
  })

  describe('a refused connection', () => {
    it('resends even a create, since the product never saw it, then answers a definite 502', async () => {
      const h = harness({ baseUrl: refusedUrl })
      const failure = await failureOf(h.send(create()))
      expect(failure.scimError.status).to.equal(502)
      expect(failure.scimError.detail).to.equal('Acme is unreachable')
      expect(failure.definite).to.equal(true)
      expect(h.sleeps).to.deep.equal([BACKOFF[0], BACKOFF[1]])
      expect(attempts(h.calls)).to.deep.equal([
        { method: 'POST', path: '/users', status: 'unreachable', attempt: 1 },
        { method: 'POST', path: '/users', status: 'unreachable', attempt: 2 },
        { method: 'POST', path: '/users', status: 'unreachable', attempt: 3 },
      ])
    })
  })

  describe('4xx answers, and requireSuccess', () => {
    const table: {
      status: number
      answer: number
      scimType?: string
      misconfigured: boolean
      says: string
    }[] = [
      {
        status: 400,
        answer: 400,
        scimType: 'invalidValue',
        misconfigured: false,
        says: 'refused the request (400)',
      },
      {
        status: 401,
        answer: 502,
        misconfigured: true,
        says: "refused the gateway's credential (401)",
      },
      { status: 402, answer: 403, misconfigured: false, says: 'plan or licence' },
      {
        status: 403,
        answer: 502,
        misconfigured: true,
        says: "refused the gateway's credential (403)",
      },
      { status: 404, answer: 404, misconfigured: false, says: PRODUCT },
      {
        status: 409,
        answer: 409,
        scimType: 'uniqueness',
        misconfigured: false,
        says: 'already has this User',
      },
      {
        status: 422,
        answer: 400,
        scimType: 'invalidValue',
        misconfigured: false,
        says: 'refused the request (422)',
      },
    ]
    for (const row of table) {
      it(`returns ${row.status} to the caller unretried; requireSuccess maps it to ${row.answer}`, async () => {
        script = [reply(row.status, { message: 'the product says no' })]
        const h = harness()
        const response = await h.send(create())
        expect(response.status).to.equal(row.status)
        expect(received).to.have.length(1)
        const failure = requireFailure(h, response)
        expect(failure.scimError.status).to.equal(row.answer)
        expect(failure.scimError.status).not.to.equal(401)
        expect(failure.scimError.scimType).to.equal(row.scimType)
        expect(failure.misconfigured).to.equal(row.misconfigured)
        expect(failure.definite).to.equal(true)
        expect(failure.scimError.detail).to.include(PRODUCT).and.to.include(row.says)
        expect(failure.scimError.detail).to.include('the product says no')
      })
    }

    for (const status of [200, 201, 204]) {
      it(`lets ${status} through requireSuccess`, async () => {
        script = [reply(status, status === 204 ? undefined : {})]
        const h = harness()
        const response = await h.send(get())
        expect(() => requireSuccess(h.client, response, describeError)).not.to.throw()
      })
    }

    it('keeps at most 200 characters of the product message, without control characters', async () => {
      const message = `bad\u0000input\u001b[31m\r\nline\ttab\u007f${'x'.repeat(500)}`
      script = [reply(400, { message })]
      const h = harness()
      const failure = requireFailure(h, await h.send(create()))
      const { detail } = failure.scimError
      // eslint-disable-next-line no-control-regex
      expect(detail).not.to.match(/[\u0000-\u001f\u007f]/)
      expect(detail.startsWith('Acme refused the request (400): bad input [31m line tab')).to.equal(
        true,
      )
      const upstream = detail.slice('Acme refused the request (400): '.length).replace(/…$/, '')
      expect(upstream.length).to.be.at.most(200)
      expect(detail.length).to.be.below(message.length)
    })

    it('leaves the product message out when the product gives none', async () => {
      script = [text(400, 'Bad Request')]
      const h = harness()
      const failure = requireFailure(h, await h.send(create()))
      expect(failure.scimError.detail).to.equal('Acme refused the request (400)')
    })

    it('does not count a 4xx as a failure of the product', async () => {
      script = [reply(400, {}), reply(401, {}), reply(403, {}), reply(404, {}), reply(409, {})]
      const h = harness({ failureThreshold: 1 })
      for (let n = 0; n < 5; n++) await h.send(get())
      expect(h.breaker.state()).to.equal('closed')
      expect(received).to.have.length(5)
    })
  })

  describe('the circuit breaker', () => {
    it('quarantines the connection after failureThreshold failures and answers 503 at once', async () => {
      script = [reply(503)]
      const h = harness({ failureThreshold: 3, maxRetries: 0 })
      for (let n = 0; n < 3; n++) {
        expect((await failureOf(h.send(get()))).scimError.status).to.equal(502)
      }
      expect(received).to.have.length(3)
      h.calls.length = 0
      const failure = await failureOf(h.send(get()))
      expect(received, 'the product is not called').to.have.length(3)
      expect(failure.scimError.status).to.equal(503)
      expect(failure.scimError.headers).to.deep.equal({ 'Retry-After': '30' })
      expect(failure.scimError.detail).to.include(PRODUCT)
      expect(failure.definite).to.equal(true)
      expect(attempts(h.calls)).to.deep.equal([
        { method: 'GET', path: '/users/u-1', status: 'quarantined', attempt: 1 },
      ])
    })

    it('stops resending once the breaker opens', async () => {
      script = [reply(503)]
      const h = harness({ failureThreshold: 2, maxRetries: 5 })
      const failure = await failureOf(h.send(get()))
      expect(failure.scimError.status).to.equal(503)
      expect(received).to.have.length(2)
      expect(attempts(h.calls).map((c) => c.status)).to.deep.equal([503, 503, 'quarantined'])
    })

    it('counts timeouts and unreachable products as failures', async () => {
      const unreachable = harness({ baseUrl: refusedUrl, failureThreshold: 1, maxRetries: 0 })
      await failureOf(unreachable.send(get()))
      expect(unreachable.breaker.state()).to.equal('open')
      script = [hang]
      const slow = harness({ timeoutMs: 150, failureThreshold: 1, maxRetries: 0 })
      await failureOf(slow.send(get()))
      expect(slow.breaker.state()).to.equal('open')
    })

    it('lets one probe through after the cooldown and closes when it succeeds', async () => {
      script = [reply(503), reply(200, { id: 'n-1' })]
      const h = harness({ failureThreshold: 1, maxRetries: 0 })
      await failureOf(h.send(get()))
      h.advance(COOLDOWN_MS)
      expect((await h.send(get())).status).to.equal(200)
      expect(h.breaker.state()).to.equal('closed')
      expect((await h.send(get())).status).to.equal(200)
    })

    it('quarantines again when the probe fails', async () => {
      script = [reply(503)]
      const h = harness({ failureThreshold: 1, maxRetries: 0 })
      await failureOf(h.send(get()))
      h.advance(COOLDOWN_MS)
      expect((await failureOf(h.send(get()))).scimError.status).to.equal(502)
      expect((await failureOf(h.send(get()))).scimError.status).to.equal(503)
      expect(received).to.have.length(2)
    })
  })

  describe('the rate budget', () => {
    it("answers 429 without calling the product when the connection's budget is spent", async () => {
      script = [reply(200, {})]
      const h = harness({ requestsPerMinute: 1 })
      await h.send(get())
      h.calls.length = 0
      const failure = await failureOf(h.send(get()))
      expect(failure.scimError.status).to.equal(429)
      expect(failure.scimError.headers).to.deep.equal({ 'Retry-After': '5' })
      expect(failure.definite).to.equal(true)
      expect(received).to.have.length(1)
      expect(attempts(h.calls)).to.deep.equal([
        { method: 'GET', path: '/users/u-1', status: 'over-budget', attempt: 1 },
      ])
    })
  })

  describe('parseRetryAfter', () => {
    const now = Date.parse('2025-01-01T00:00:00Z')
    const cases: [string | null, number | undefined][] = [
      ['120', 120],
      [' 7 ', 7],
      ['0', 0],
      ['Wed, 01 Jan 2025 00:01:30 GMT', 90],
      ['Wed, 01 Jan 2025 00:00:00 GMT', 0],
      ['Tue, 31 Dec 2024 23:00:00 GMT', 0],
      ['soon', undefined],
      ['', undefined],
      [null, undefined],
    ]
    for (const [value, seconds] of cases) {
      it(`reads ${JSON.stringify(value)} as ${String(seconds)}`, () => {
        expect(parseRetryAfter(value, now)).to.equal(seconds)
      })
    }
  })
})
