import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import type { SimulatorHandle } from '../../src/simulators/index.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import { USER, createUser, filterQuery, patchOf, resourcesOf } from '../helpers/scim-fixtures.ts'
import {
  simFault,
  simRequests,
  simState,
  startProducts,
  type ProductGateway,
  type StartProductsOptions,
} from '../helpers/start-products.ts'

interface ProductState {
  users: { email: string; status: string }[]
}

const CONNECTORS = join(import.meta.dirname, '..', '..', 'connectors')
const KEY = 'demo/tresorit'

const emailsOf = async (sim: SimulatorHandle) =>
  (await simState<ProductState>(sim)).users.map((u) => u.email)
const clearRequests = (sim: SimulatorHandle) =>
  fetch(`${sim.url}/_sim/requests`, { method: 'DELETE' }).then(() => undefined)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `probe` until it returns a value, for at most `ms`. */
async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 15_000,
): Promise<T> {
  for (const deadline = Date.now() + ms; ; await sleep(100)) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
  }
}

/**
 * The shipped profile with a 300 ms timeout and a breaker that opens after 4 consecutive
 * failures (one request and its 3 retries) for 1 s; Torii's profile unchanged beside it.
 */
async function writeFastProfiles(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tresorit-profile-'))
  const shipped = await readFile(join(CONNECTORS, 'tresorit.yaml'), 'utf8')
  const fast = shipped.replace('timeoutMs: 10000', 'timeoutMs: 300')
  expect(fast).to.not.equal(shipped)
  await writeFile(
    join(dir, 'tresorit.yaml'),
    `${fast}breaker: { failureThreshold: 4, cooldownSeconds: 1 }\n`,
  )
  await copyFile(join(CONNECTORS, 'torii.yaml'), join(dir, 'torii.yaml'))
  return dir
}

describe('Tresorit-like connector: upstream faults', () => {
  let profiles: string
  let products: ProductGateway
  let scim: ScimClient
  let sim: SimulatorHandle

  async function start(options: StartProductsOptions = {}) {
    products = await startProducts({
      gatewayYaml: `listen: { host: 127.0.0.1, port: 0 }\nconnectors: ${profiles}\n`,
      ...options,
    })
    sim = products.tresorit
    scim = scimClient({
      baseUrl: products.started.scimUrl,
      token: await products.started.token('demo', 'tresorit'),
    })
  }
  const pendingLinks = (userName: string) =>
    products.started.gateway
      .db('links')
      .where({ connection_key: KEY, user_name_lower: userName.toLowerCase() })
      .select('state')

  before(async () => {
    profiles = await writeFastProfiles()
  })
  after(() => rm(profiles, { recursive: true, force: true }))

  describe('rate limits', () => {
    before(() => start())
    after(() => products.close())
    beforeEach(() => clearRequests(sim))

    it('honours a 429 with Retry-After 1 by retrying the invite, which then succeeds', async () => {
      await simFault(sim, { status: 429, retryAfter: 1 })
      await createUser(scim, 'Patient@Example.com')
      const invites = (await simRequests(sim)).filter((r) => r.path.endsWith('/users/invite'))
      expect(invites.map((r) => r.status)).to.deep.equal([429, 201])
      expect(await emailsOf(sim)).to.include('patient@example.com')
    })

    // Last: the product's Retry-After then holds the connection back for 30 s.
    it('passes a Retry-After longer than the gateway waits on to the IdP, with no link left', async () => {
      await simFault(sim, { status: 429, retryAfter: 30 })
      const res = await scim.post('/Users', { schemas: [USER], userName: 'Later@Example.com' })
      expectScimError(res, 429)
      expect(res.headers.get('retry-after')).to.equal('30')
      expect((await simRequests(sim)).map((r) => r.status)).to.deep.equal([429])
      expect(await pendingLinks('Later@Example.com')).to.deep.equal([])
      expect(await emailsOf(sim)).to.not.include('later@example.com')
    })
  })

  describe('quarantine', () => {
    before(() => start())
    after(() => products.close())
    beforeEach(() => clearRequests(sim))

    it('retries a failing idempotent update, answers 502, quarantines, and recovers after the cooldown', async () => {
      const user = await createUser(scim, 'Flaky@Example.com')
      const path = `/Users/${user.id as string}`
      const deactivate = patchOf({ op: 'replace', path: 'active', value: false })
      await clearRequests(sim)
      await simFault(sim, { status: 503, count: 20 })

      expectScimError(await scim.patch(path, deactivate), 502)
      const attempts = await simRequests(sim)
      expect(attempts.map((r) => [r.method, r.status])).to.deep.equal(
        Array.from({ length: 4 }, () => ['PATCH', 503]),
      )
      // Nothing half-written: the SCIM view and the product both still say active.
      expect(objectOf(await scim.get(path)).active).to.equal(undefined)
      expect((await simState<ProductState>(sim)).users[0]?.status).to.equal('invited')

      const quarantined = await scim.patch(path, deactivate)
      expectScimError(quarantined, 503)
      expect(Number(quarantined.headers.get('retry-after'))).to.be.at.least(1)
      expect(objectOf(quarantined).detail).to.match(/quarantined/)
      expect(await simRequests(sim)).to.have.length(4)
      expect(products.started.gateway.upstream.health(KEY)?.breaker.state()).to.equal('open')

      await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' })
      await eventually(() =>
        products.started.gateway.upstream.health(KEY)?.breaker.state() === 'half-open'
          ? true
          : undefined,
      )
      const recovered = await scim.patch(path, deactivate)
      expect(recovered.status, JSON.stringify(recovered.body)).to.be.oneOf([200, 204])
      expect((await simState<ProductState>(sim)).users[0]?.status).to.equal('suspended')
      expect(objectOf(await scim.get(path)).active).to.equal(false)
      expect(products.started.gateway.upstream.health(KEY)?.breaker.state()).to.equal('closed')
    })
  })

  describe('unknown outcomes and races', () => {
    before(() => start())
    after(() => products.close())
    beforeEach(() => clearRequests(sim))

    /** The IdP resends its create until the claim left by the lost answer is reconciled. */
    const retryCreate = (userName: string) =>
      eventually(async () => {
        const res = await scim.post('/Users', { schemas: [USER], userName })
        const detail = String(objectOf(res).detail)
        return res.status === 409 && detail.includes('in progress') ? undefined : res
      })

    it('answers 504 on a timed-out invite, keeps the claim pending, and links the retry to the user that landed', async () => {
      await simFault(sim, { delayMs: 1500 })
      const res = await scim.post('/Users', { schemas: [USER], userName: 'Slow@Example.com' })
      expectScimError(res, 504)
      expect(await pendingLinks('Slow@Example.com')).to.deep.equal([{ state: 'pending' }])
      // The product acted after the gateway stopped waiting.
      await eventually(async () =>
        (await emailsOf(sim)).includes('slow@example.com') ? true : undefined,
      )
      // The lost create landed: the IdP's retry links that user and answers as created.
      const retry = await retryCreate('Slow@Example.com')
      expect(retry.status, JSON.stringify(retry.body)).to.equal(201)
      expect(await pendingLinks('Slow@Example.com')).to.deep.equal([{ state: 'active' }])
      const found = resourcesOf(
        await scim.get(`/Users?${filterQuery('userName eq "slow@example.com"')}`),
      )
      expect(found.map((r) => r.userName)).to.deep.equal(['Slow@Example.com'])
      expect((await emailsOf(sim)).filter((e) => e === 'slow@example.com')).to.have.length(1)
      const invites = (await simRequests(sim)).filter((r) => r.path.endsWith('/users/invite'))
      expect(invites).to.have.length(1)
    })

    it('answers an error when the connection drops during an invite; the retry gives exactly one product user', async () => {
      await simFault(sim, { drop: true })
      const res = await scim.post('/Users', { schemas: [USER], userName: 'Dropped@Example.com' })
      expectScimError(res, 502)
      expect(await emailsOf(sim)).to.not.include('dropped@example.com')
      expect(await pendingLinks('Dropped@Example.com')).to.deep.equal([{ state: 'pending' }])
      const retry = await retryCreate('Dropped@Example.com')
      expect(retry.status, JSON.stringify(retry.body)).to.equal(201)
      expect(objectOf(retry).userName).to.equal('Dropped@Example.com')
      expect((await emailsOf(sim)).filter((e) => e === 'dropped@example.com')).to.have.length(1)
      expect(await pendingLinks('Dropped@Example.com')).to.deep.equal([{ state: 'active' }])
    })

    it('gives concurrent creates of one user exactly one 201, 409 for the rest, and one product user', async () => {
      const body = { schemas: [USER], userName: 'Racer@Example.com' }
      const answers = await Promise.all(Array.from({ length: 5 }, () => scim.post('/Users', body)))
      const statuses = answers.map((r) => r.status).sort()
      expect(statuses).to.deep.equal([201, 409, 409, 409, 409])
      for (const res of answers.filter((r) => r.status === 409))
        expectScimError(res, 409, 'uniqueness')
      expect((await emailsOf(sim)).filter((e) => e === 'racer@example.com')).to.have.length(1)
      expect(
        (await simRequests(sim)).filter((r) => r.path.endsWith('/users/invite')),
      ).to.have.length(1)
      const found = await scim.get(`/Users?${filterQuery('userName eq "racer@example.com"')}`)
      expect(resourcesOf(found)).to.have.length(1)
    })
  })

  describe('plan and licence refusals', () => {
    afterEach(() => products.close())

    it('reports the connection misconfigured (502, never 401) when the product is not on the Enterprise plan', async () => {
      await start({ tresorit: { plan: 'business' } })
      const res = await scim.post('/Users', { schemas: [USER], userName: 'Ada@Example.com' })
      expectScimError(res, 502)
      expect(objectOf(res).detail)
        .to.match(/misconfigured/)
        .and.match(/enterprise_plan_required/)
      expect(products.started.gateway.upstream.health(KEY)?.misconfigured?.reason).to.match(
        /misconfigured/,
      )
      expect(await emailsOf(sim)).to.deep.equal([])
      expect(resourcesOf(await scim.get('/Users'))).to.deep.equal([])
    })

    it('answers 403 when no licence is free, leaves no link, and succeeds once a licence is freed', async () => {
      await start({ tresorit: { licenses: 1 } })
      const first = await createUser(scim, 'First@Example.com')
      const refused = await scim.post('/Users', { schemas: [USER], userName: 'Second@Example.com' })
      expectScimError(refused, 403)
      expect(objectOf(refused).detail)
        .to.match(/licence/)
        .and.match(/no_license_available/)
      expect(await emailsOf(sim)).to.deep.equal(['first@example.com'])
      expect(await pendingLinks('Second@Example.com')).to.deep.equal([])
      expect(resourcesOf(await scim.get('/Users')).map((r) => r.userName)).to.deep.equal([
        'First@Example.com',
      ])
      expect((await scim.delete(`/Users/${first.id as string}`)).status).to.equal(204)
      await createUser(scim, 'Second@Example.com')
      expect(await emailsOf(sim)).to.include('second@example.com')
    })
  })
})
