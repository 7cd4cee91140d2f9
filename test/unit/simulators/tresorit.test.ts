import { expect } from 'chai'
import type { SimulatorHandle } from '../../../src/simulators/common/start.ts'
import {
  resolveTresoritSettings,
  TRESORIT_DEFAULTS,
  type TresoritSimulatorOptions,
} from '../../../src/simulators/tresorit/settings.ts'
import { startTresoritSimulator } from '../../../src/simulators/tresorit/simulator.ts'
import { call, pick, type CallOptions } from './http.ts'

const TOKEN = TRESORIT_DEFAULTS.token
const BASE = '/acme/admin/v1'

describe('simulators/tresorit', () => {
  let sim: SimulatorHandle
  const start = async (options: TresoritSimulatorOptions = {}) => {
    await sim?.close()
    sim = await startTresoritSimulator({ licenses: 3, ...options })
  }
  const api = (method: string, path: string, options: CallOptions = {}) =>
    call(sim.url, method, `${BASE}${path}`, { token: TOKEN, ...options })
  const invite = (email: string, firstName = 'Ann', lastName = 'Lee') =>
    api('POST', '/users/invite', { body: { email, firstName, lastName } })
  const state = async () => (await call(sim.url, 'GET', '/_sim/state')).body

  beforeEach(() => start())
  after(() => sim.close())

  it('has the documented defaults', () => {
    const settings = resolveTresoritSettings({})
    expect(settings).to.deep.include({
      tenant: 'acme',
      tokens: ['tresorit-sim-token'],
      plan: 'enterprise',
      advancedControl: false,
      licenses: 50,
      rateLimit: { limit: 120, windowSeconds: 60 },
    })
    expect(sim.baseUrl).to.equal(`${sim.url}${BASE}`)
    expect(sim.credential).to.equal(TOKEN)
  })

  describe('auth, plan and paths', () => {
    it('answers 401 {errorCode, message} without the provisioning token', async () => {
      const reply = await call(sim.url, 'GET', `${BASE}/users`, { token: 'wrong' })
      expect(reply.status).to.equal(401)
      expect(reply.body).to.have.keys('errorCode', 'message')
      expect(reply.body).to.deep.include({ errorCode: 'unauthorized' })
    })

    it('serves only its tenant segment, which is a setting', async () => {
      expect(
        (await call(sim.url, 'GET', '/other/admin/v1/users', { token: TOKEN })).status,
      ).to.equal(404)
      await start({ tenant: 'globex' })
      expect(
        (await call(sim.url, 'GET', '/globex/admin/v1/users', { token: TOKEN })).status,
      ).to.equal(200)
    })

    const adminCalls: [string, string, unknown?][] = [
      ['GET', '/users'],
      ['GET', '/users/a@x.example'],
      ['POST', '/users/invite', { email: 'a@x.example' }],
      ['PATCH', '/users/a@x.example', { status: 'active' }],
      ['POST', '/users/a@x.example/remove'],
      ['GET', '/policy-templates'],
      ['GET', '/license'],
      ['GET', '/groups'],
    ]
    for (const [method, path, body] of adminCalls) {
      it(`refuses ${method} ${path} with 403 enterprise_plan_required off the Enterprise plan`, async () => {
        await start({ plan: 'business' })
        const reply = await api(method, path, { body })
        expect(reply.status).to.equal(403)
        expect(reply.body).to.deep.include({ errorCode: 'enterprise_plan_required' })
      })
    }

    for (const path of ['/groups', '/groups/g1', '/groups/g1/members']) {
      it(`has no group endpoints: ${path} → 404`, async () => {
        const reply = await api('GET', path)
        expect(reply.status).to.equal(404)
        expect(reply.body).to.deep.include({ errorCode: 'not_found' })
      })
    }
  })

  describe('POST /users/invite', () => {
    it('invites with the Default policy template and answers 201', async () => {
      const reply = await invite('Ann.Lee@Example.COM')
      expect(reply.status).to.equal(201)
      expect(reply.body).to.deep.equal({
        email: 'ann.lee@example.com',
        firstName: 'Ann',
        lastName: 'Lee',
        status: 'invited',
        policyTemplate: 'Default',
        role: 'User',
        managedBy: 'scim',
        suspendedBy: null,
      })
      expect(pick(await state(), 'users', 0, 'email')).to.equal('ann.lee@example.com')
    })

    it('answers 409 user_exists for an existing user, whatever the case', async () => {
      await invite('ann@example.com')
      const reply = await invite('ANN@example.com')
      expect(reply.status).to.equal(409)
      expect(reply.body).to.deep.include({ errorCode: 'user_exists' })
    })

    it('answers 402 no_license_available when licences are used up; removal frees one', async () => {
      for (const name of ['a', 'b', 'c'])
        expect((await invite(`${name}@x.example`)).status).to.equal(201)
      const full = await invite('d@x.example')
      expect(full.status).to.equal(402)
      expect(full.body).to.deep.include({ errorCode: 'no_license_available' })
      await api('POST', '/users/a@x.example/remove')
      expect((await api('GET', '/license')).body).to.deep.equal({ total: 3, used: 2 })
      expect((await invite('d@x.example')).status).to.equal(201)
    })

    it('re-invites a removed user (status invited again, names kept)', async () => {
      await invite('ann@example.com', 'Ann', 'Lee')
      await api('POST', '/users/ann@example.com/remove')
      const reply = await invite('ann@example.com', 'Other', 'Name')
      expect(reply.status).to.equal(201)
      expect(reply.body).to.deep.include({ status: 'invited', firstName: 'Ann', lastName: 'Lee' })
    })

    it('needs a licence to re-invite a removed user', async () => {
      for (const name of ['a', 'b', 'c']) await invite(`${name}@x.example`)
      await api('POST', '/users/a@x.example/remove')
      await invite('d@x.example')
      expect((await invite('a@x.example')).status).to.equal(402)
    })

    const bad: [string, unknown][] = [
      ['no email', { firstName: 'A' }],
      ['an invalid email', { email: 'not-an-email' }],
      ['a non-string name', { email: 'a@x.example', firstName: 7 }],
      ['a non-object', ['a@x.example']],
    ]
    for (const [name, body] of bad) {
      it(`answers 400 for ${name}`, async () => {
        const reply = await api('POST', '/users/invite', { body })
        expect(reply.status).to.equal(400)
        expect(reply.body).to.have.keys('errorCode', 'message')
      })
    }
  })

  describe('GET /users', () => {
    beforeEach(async () => {
      await start({ licenses: 10 })
      for (const name of ['e', 'c', 'a', 'd', 'b']) await invite(`${name}@x.example`)
      await call(sim.url, 'POST', '/_sim/accept-invite/b@x.example')
    })

    it('gets one user by email, case-insensitively', async () => {
      const reply = await api('GET', '/users/A@X.Example')
      expect(reply.status).to.equal(200)
      expect(reply.body).to.deep.include({ email: 'a@x.example' })
    })

    it('answers 404 user_not_found for an unknown user', async () => {
      const reply = await api('GET', '/users/zz@x.example')
      expect(reply.status).to.equal(404)
      expect(reply.body).to.deep.include({ errorCode: 'user_not_found' })
    })

    it('pages with pageSize and nextPageToken', async () => {
      const seen: unknown[] = []
      let token: unknown = undefined
      let pages = 0
      do {
        const query: string = typeof token === 'string' ? `&pageToken=${token}` : ''
        const reply = await api('GET', `/users?pageSize=2${query}`)
        seen.push(...(pick(reply.body, 'users') as unknown[]).map((user) => pick(user, 'email')))
        token = pick(reply.body, 'nextPageToken')
        pages++
      } while (typeof token === 'string')
      expect(pages).to.equal(3)
      expect(token).to.equal(null)
      expect(seen).to.deep.equal(['a', 'b', 'c', 'd', 'e'].map((name) => `${name}@x.example`))
    })

    it('filters by email and by status', async () => {
      const byEmail = await api('GET', '/users?email=C@x.example')
      expect(pick(byEmail.body, 'users', 0, 'email')).to.equal('c@x.example')
      expect(pick(byEmail.body, 'users')).to.have.length(1)
      const active = await api('GET', '/users?status=active')
      expect(active.body).to.deep.include({ nextPageToken: null })
      expect(pick(active.body, 'users')).to.have.length(1)
    })

    for (const query of [
      'pageSize=101',
      'pageSize=0',
      'pageSize=x',
      'status=gone',
      'pageToken=bm9wZQ',
    ]) {
      it(`answers 400 for ${query}`, async () => {
        expect((await api('GET', `/users?${query}`)).status).to.equal(400)
      })
    }
  })

  describe('PATCH /users/{email}', () => {
    beforeEach(async () => {
      await invite('ann@example.com')
      await call(sim.url, 'POST', '/_sim/accept-invite/ann@example.com')
    })

    it('suspends and unsuspends: status is the only mutable field', async () => {
      const suspended = await api('PATCH', '/users/ann@example.com', {
        body: { status: 'suspended' },
      })
      expect(suspended.status).to.equal(200)
      expect(suspended.body).to.deep.include({ status: 'suspended', suspendedBy: 'scim' })
      const active = await api('PATCH', '/users/ANN@example.com', { body: { status: 'active' } })
      expect(active.body).to.deep.include({ status: 'active', suspendedBy: null })
    })

    it('accepts names and ignores them (200, unchanged)', async () => {
      const reply = await api('PATCH', '/users/ann@example.com', {
        body: { firstName: 'New', lastName: 'Name' },
      })
      expect(reply.status).to.equal(200)
      expect(reply.body).to.deep.include({ firstName: 'Ann', lastName: 'Lee' })
      expect(pick(await state(), 'users', 0)).to.deep.include({ firstName: 'Ann' })
    })

    it('accepts the same email in any case', async () => {
      const body = { email: 'Ann@Example.com', status: 'suspended' }
      expect((await api('PATCH', '/users/ann@example.com', { body })).status).to.equal(200)
    })

    const refusals: [string, string, unknown, number, string][] = [
      ['a new email', 'ann@example.com', { email: 'bob@example.com' }, 400, 'identifier_immutable'],
      ['an unknown user', 'zz@example.com', { status: 'active' }, 404, 'user_not_found'],
      ['an unknown status', 'ann@example.com', { status: 'removed' }, 400, 'invalid_status'],
    ]
    for (const [name, email, body, status, errorCode] of refusals) {
      it(`answers ${status} ${errorCode} for ${name}`, async () => {
        const reply = await api('PATCH', `/users/${email}`, { body })
        expect(reply.status).to.equal(status)
        expect(reply.body).to.deep.include({ errorCode })
      })
    }

    it('leaves an invitation pending on status active', async () => {
      await invite('bob@example.com')
      const reply = await api('PATCH', '/users/bob@example.com', { body: { status: 'active' } })
      expect(reply.body).to.deep.include({ status: 'invited' })
    })

    it('refuses to change a removed user (409 user_removed: invite again)', async () => {
      await api('POST', '/users/ann@example.com/remove')
      const reply = await api('PATCH', '/users/ann@example.com', { body: { status: 'active' } })
      expect(reply.status).to.equal(409)
      expect(reply.body).to.deep.include({ errorCode: 'user_removed' })
    })
  })

  describe('remove and delete', () => {
    beforeEach(() => invite('ann@example.com').then(() => undefined))

    it('POST /users/{email}/remove marks removed and frees the licence', async () => {
      const reply = await api('POST', '/users/ann@example.com/remove')
      expect(reply.status).to.equal(200)
      expect(reply.body).to.deep.include({ status: 'removed' })
      expect((await api('GET', '/license')).body).to.deep.equal({ total: 3, used: 0 })
      expect(pick(await state(), 'users', 0, 'status')).to.equal('removed')
    })

    it('DELETE needs Advanced Control (403 advanced_control_required)', async () => {
      const reply = await api('DELETE', '/users/ann@example.com?confirm=true')
      expect(reply.status).to.equal(403)
      expect(reply.body).to.deep.include({ errorCode: 'advanced_control_required' })
    })

    it('DELETE with Advanced Control needs confirm=true, then deletes permanently', async () => {
      await start({ advancedControl: true })
      await invite('ann@example.com')
      expect((await api('DELETE', '/users/ann@example.com')).status).to.equal(400)
      expect((await api('DELETE', '/users/ann@example.com?confirm=true')).status).to.equal(204)
      expect((await api('GET', '/users/ann@example.com')).status).to.equal(404)
      expect(pick(await state(), 'users')).to.deep.equal([])
    })
  })

  it('lists policy templates and the licence', async () => {
    expect((await api('GET', '/policy-templates')).body).to.deep.equal({
      policyTemplates: [{ name: 'Default' }, { name: 'Restricted' }],
    })
    expect((await api('GET', '/license')).body).to.deep.equal({ total: 3, used: 0 })
  })

  describe('test hooks', () => {
    it('admin-suspend suspends with suspendedBy admin', async () => {
      await invite('ann@example.com')
      const reply = await call(sim.url, 'POST', '/_sim/admin-suspend/Ann@example.com')
      expect(reply.body).to.deep.include({ status: 'suspended', suspendedBy: 'admin' })
    })

    it('accept-invite turns invited into active, and only that', async () => {
      await invite('ann@example.com')
      const reply = await call(sim.url, 'POST', '/_sim/accept-invite/ann@example.com')
      expect(reply.body).to.deep.include({ status: 'active' })
      expect((await call(sim.url, 'POST', '/_sim/accept-invite/ann@example.com')).status).to.equal(
        409,
      )
      expect((await call(sim.url, 'POST', '/_sim/accept-invite/zz@example.com')).status).to.equal(
        404,
      )
    })

    it('reset restores the seeded users', async () => {
      await start({ users: [{ email: 'Admin@x.example', role: 'Owner' }] })
      await invite('ann@example.com')
      await call(sim.url, 'POST', '/_sim/reset')
      expect(pick(await state(), 'users')).to.deep.equal([
        {
          email: 'admin@x.example',
          firstName: '',
          lastName: '',
          status: 'active',
          policyTemplate: 'Default',
          role: 'Owner',
          managedBy: 'manual',
          suspendedBy: null,
        },
      ])
    })
  })

  describe('limits, faults and the request log', () => {
    it('answers 429 rate_limit_exceeded with Retry-After over its limit', async () => {
      await start({ rateLimit: { limit: 2 } })
      await api('GET', '/license')
      await api('GET', '/license')
      const reply = await api('GET', '/license')
      expect(reply.status).to.equal(429)
      expect(Number(reply.headers.get('retry-after'))).to.be.within(1, 60)
      expect(reply.body).to.deep.include({ errorCode: 'rate_limit_exceeded' })
    })

    it('answers injected faults in its error shape', async () => {
      await call(sim.url, 'POST', '/_sim/faults', {
        body: { count: 1, status: 503, retryAfter: 7 },
      })
      const reply = await invite('ann@example.com')
      expect(reply.status).to.equal(503)
      expect(reply.headers.get('retry-after')).to.equal('7')
      expect(reply.body).to.deep.include({ errorCode: 'service_unavailable' })
      expect(pick(await state(), 'users')).to.deep.equal([])
    })

    it('logs what the gateway sent, without the token', async () => {
      await invite('ann@example.com')
      await api('PATCH', '/users/ann@example.com', { body: { status: 'suspended' } })
      const log = (await call(sim.url, 'GET', '/_sim/requests')).body
      expect(pick(log, 'requests', 1)).to.deep.include({
        method: 'PATCH',
        path: `${BASE}/users/ann@example.com`,
        body: { status: 'suspended' },
        authorization: 'Bearer',
        status: 200,
      })
      expect(JSON.stringify(log)).not.to.include(TOKEN)
    })
  })
})
