import { expect } from 'chai'
import type { SimulatorHandle } from '../../../src/simulators/common/start.ts'
import {
  resolveToriiSettings,
  TORII_DEFAULTS,
  type ToriiSimulatorOptions,
} from '../../../src/simulators/torii/settings.ts'
import { startToriiSimulator } from '../../../src/simulators/torii/simulator.ts'
import { call, pick, type CallOptions } from './http.ts'

const KEY = TORII_DEFAULTS.apiKey.key
const SCIM = '/v1.0/scim/v2'
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error'
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

function patchOf(...operations: unknown[]) {
  return { schemas: [PATCH_SCHEMA], Operations: operations }
}

describe('simulators/torii', () => {
  let sim: SimulatorHandle
  const start = async (options: ToriiSimulatorOptions = {}) => {
    await sim?.close()
    sim = await startToriiSimulator(options)
  }
  const scim = (method: string, path: string, options: CallOptions = {}) =>
    call(sim.url, method, `${SCIM}${path}`, {
      token: KEY,
      contentType: 'application/scim+json',
      ...options,
    })
  const create = (userName: string, extra: Record<string, unknown> = {}) =>
    scim('POST', '/Users', {
      body: { userName, name: { givenName: 'Ann', familyName: 'Lee' }, ...extra },
    })
  const idOf = (body: unknown) => String(pick(body, 'id'))
  const state = async () => (await call(sim.url, 'GET', '/_sim/state')).body

  beforeEach(() => start())
  after(() => sim.close())

  it('has the documented defaults', () => {
    const settings = resolveToriiSettings({})
    expect(settings).to.deep.include({
      apiKeys: [{ key: 'torii-sim-key', expiresAt: '2030-12-31T00:00:00.000Z' }],
      roles: ['Admin', 'Read-only', 'Procurement', 'IT Admin', 'Employee'],
      scimRateLimit: { limit: 200, windowSeconds: 60 },
      nativeRateLimit: { limit: 100, windowSeconds: 60 },
    })
    expect(sim.baseUrl).to.equal(`${sim.url}/v1.0`)
    expect(sim.credential).to.equal(KEY)
  })

  it('holds state as {id, userName, givenName, familyName, role, active}, the owner seeded', async () => {
    expect(await state()).to.deep.equal({
      roles: TORII_DEFAULTS.roles,
      users: [
        {
          id: 1,
          userName: 'owner@acme.example',
          givenName: 'Olive',
          familyName: 'Owner',
          role: 'Admin',
          active: true,
        },
      ],
    })
  })

  describe('API keys', () => {
    it('answers 401 as a SCIM error without a valid key', async () => {
      const reply = await call(sim.url, 'GET', `${SCIM}/Users`, { token: 'wrong' })
      expect(reply.status).to.equal(401)
      expect(reply.headers.get('content-type')).to.match(/application\/scim\+json/)
      expect(reply.body).to.deep.include({ schemas: [ERROR_SCHEMA], status: '401' })
    })

    it('refuses a key past its expiresAt on the simulator clock', async () => {
      await start({ apiKeys: [{ key: 'k1', expiresAt: '2027-05-01T00:00:00Z' }] })
      const get = () => call(sim.url, 'GET', `${SCIM}/Users`, { token: 'k1' })
      await call(sim.url, 'POST', '/_sim/clock', { body: { now: '2027-04-30T23:59:00Z' } })
      expect((await get()).status).to.equal(200)
      await call(sim.url, 'POST', '/_sim/clock', { body: { advanceSeconds: 120 } })
      const expired = await get()
      expect(expired.status).to.equal(401)
      expect(pick(expired.body, 'detail')).to.match(/expired/)
    })

    it('answers native 401s as {error, message}', async () => {
      const reply = await call(sim.url, 'GET', '/v1.0/users')
      expect(reply.status).to.equal(401)
      expect(reply.body).to.deep.equal({
        error: 'Unauthorized',
        message: 'Missing or invalid bearer credential',
      })
    })
  })

  describe('POST /Users', () => {
    it('creates a user with an integer id and answers SCIM User JSON', async () => {
      const reply = await create('ann@example.com', { userType: 'IT Admin' })
      expect(reply.status).to.equal(201)
      expect(reply.headers.get('location')).to.equal(`${sim.url}${SCIM}/Users/2`)
      const meta = pick(reply.body, 'meta')
      expect(reply.body).to.deep.equal({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        id: '2',
        userName: 'ann@example.com',
        name: { givenName: 'Ann', familyName: 'Lee' },
        active: true,
        userType: 'IT Admin',
        emails: [{ value: 'ann@example.com', primary: true }],
        meta,
      })
      expect(meta).to.deep.include({ resourceType: 'User', location: `${sim.url}${SCIM}/Users/2` })
    })

    for (const [name, extra] of [
      ['absent', {}],
      ['empty', { userType: '' }],
      ['null', { userType: null }],
    ] as const) {
      it(`gives the Employee role when userType is ${name}`, async () => {
        const reply = await create('ann@example.com', extra)
        expect(pick(reply.body, 'userType')).to.equal('Employee')
      })
    }

    const refused: [string, Record<string, unknown>, string][] = [
      ['an unknown role', { userName: 'a@x.example', userType: 'Boss' }, 'invalidValue'],
      ['a role in the wrong case', { userName: 'a@x.example', userType: 'admin' }, 'invalidValue'],
      ['no userName', { name: { givenName: 'A' } }, 'invalidValue'],
      ['a userName that is not an email', { userName: 'ann' }, 'invalidValue'],
      ['an email without a domain', { userName: 'ann@localhost' }, 'invalidValue'],
      ['a non-boolean active', { userName: 'a@x.example', active: 'true' }, 'invalidValue'],
    ]
    for (const [name, body, scimType] of refused) {
      it(`answers 400 ${scimType} for ${name}`, async () => {
        const reply = await scim('POST', '/Users', { body })
        expect(reply.status).to.equal(400)
        expect(reply.body).to.deep.include({ schemas: [ERROR_SCHEMA], status: '400', scimType })
      })
    }

    it('answers 409 uniqueness for an active duplicate, whatever the case', async () => {
      await create('ann@example.com')
      const reply = await create('ANN@example.com')
      expect(reply.status).to.equal(409)
      expect(reply.body).to.deep.include({ scimType: 'uniqueness' })
    })

    it('reactivates an inactive user: same id, active, 201, role kept when absent', async () => {
      const id = idOf((await create('ann@example.com', { userType: 'Procurement' })).body)
      await scim('PATCH', `/Users/${id}`, {
        body: patchOf({ op: 'replace', path: 'active', value: false }),
      })
      const reply = await create('Ann@Example.com', {
        name: { givenName: 'Annie', familyName: 'Lee' },
      })
      expect(reply.status).to.equal(201)
      expect(reply.body).to.deep.include({
        id,
        userName: 'ann@example.com',
        active: true,
        userType: 'Procurement',
      })
      expect(pick(reply.body, 'name', 'givenName')).to.equal('Annie')
    })
  })

  describe('GET /Users', () => {
    let inactiveId: string
    beforeEach(async () => {
      await create('ann@example.com')
      await create('bob@example.com')
      inactiveId = idOf((await create('cat@example.com')).body)
      await scim('PATCH', `/Users/${inactiveId}`, {
        body: patchOf({ op: 'replace', path: 'active', value: false }),
      })
    })

    it('lists only active users', async () => {
      const reply = await scim('GET', '/Users')
      expect(reply.body).to.deep.include({ totalResults: 3, startIndex: 1, itemsPerPage: 3 })
      const names = (pick(reply.body, 'Resources') as unknown[]).map((user) =>
        pick(user, 'userName'),
      )
      expect(names).to.deep.equal(['owner@acme.example', 'ann@example.com', 'bob@example.com'])
    })

    const filters: [string, number][] = [
      ['userName eq "ann@example.com"', 1],
      ['userName eq "ANN@example.com"', 1],
      ['UserName EQ "bob@example.com"', 1],
      ['emails eq "bob@example.com"', 1],
      ['userName eq "cat@example.com"', 0],
      ['userName eq "nobody@example.com"', 0],
    ]
    for (const [filter, count] of filters) {
      it(`filters ${filter} → ${count}`, async () => {
        const reply = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`)
        expect(reply.status).to.equal(200)
        expect(pick(reply.body, 'totalResults')).to.equal(count)
      })
    }

    for (const filter of [
      'userName sw "ann"',
      'displayName eq "Ann"',
      'emails.value eq "ann@example.com"',
      'userName eq "a@x.example" and active eq true',
      'not (userName eq "a@x.example")',
      'externalId eq "x"',
      'userName eq ann@example.com',
    ]) {
      it(`answers 400 invalidFilter for ${filter}`, async () => {
        const reply = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`)
        expect(reply.status).to.equal(400)
        expect(reply.body).to.deep.include({ scimType: 'invalidFilter' })
      })
    }

    it('still serves an inactive user by id', async () => {
      const reply = await scim('GET', `/Users/${inactiveId}`)
      expect(reply.status).to.equal(200)
      expect(reply.body).to.deep.include({ active: false })
    })

    for (const id of ['999', 'abc', '1.5']) {
      it(`answers 404 for /Users/${id}`, async () => {
        const reply = await scim('GET', `/Users/${id}`)
        expect(reply.status).to.equal(404)
        expect(reply.body).to.deep.include({ status: '404' })
      })
    }
  })

  describe('paging', () => {
    beforeEach(() =>
      start({
        users: Array.from({ length: 250 }, (_, i) => ({
          userName: `u${i}@x.example`,
          role: 'Admin',
        })),
      }),
    )
    const page = async (query: string) => (await scim('GET', `/Users?${query}`)).body

    const cases: [string, { startIndex: number; itemsPerPage: number; first: string }][] = [
      ['', { startIndex: 1, itemsPerPage: 100, first: 'u0@x.example' }],
      ['count=500', { startIndex: 1, itemsPerPage: 200, first: 'u0@x.example' }],
      ['startIndex=241&count=50', { startIndex: 241, itemsPerPage: 10, first: 'u240@x.example' }],
      ['startIndex=0&count=2', { startIndex: 1, itemsPerPage: 2, first: 'u0@x.example' }],
      ['count=0', { startIndex: 1, itemsPerPage: 0, first: '' }],
    ]
    for (const [query, expected] of cases) {
      it(`pages ${query || 'by default'}`, async () => {
        const body = await page(query)
        expect(body).to.deep.include({
          totalResults: 250,
          startIndex: expected.startIndex,
          itemsPerPage: expected.itemsPerPage,
        })
        expect(pick(body, 'Resources', 0, 'userName') ?? '').to.equal(expected.first)
      })
    }

    it('sorts by any field', async () => {
      const body = await page('sortBy=userName&sortOrder=descending&count=1')
      expect(pick(body, 'Resources', 0, 'userName')).to.equal('u9@x.example') // '@' sorts after '9'
    })

    it('refuses a malformed count with 400', async () => {
      expect((await scim('GET', '/Users?count=many')).status).to.equal(400)
    })
  })

  describe('PUT and PATCH /Users/{id}', () => {
    let id: string
    beforeEach(async () => {
      id = idOf((await create('ann@example.com', { userType: 'Read-only' })).body)
    })

    it('PUT replaces names and role; absent userType keeps the role', async () => {
      const reply = await scim('PUT', `/Users/${id}`, {
        body: { userName: 'ann@example.com', name: { givenName: 'Anne', familyName: 'Li' } },
      })
      expect(reply.status).to.equal(200)
      expect(reply.body).to.deep.include({
        userType: 'Read-only',
        name: { givenName: 'Anne', familyName: 'Li' },
      })
      const withRole = await scim('PUT', `/Users/${id}`, {
        body: { userName: 'ann@example.com', userType: 'Procurement', active: false },
      })
      expect(withRole.body).to.deep.include({ userType: 'Procurement', active: false })
    })

    const patches: [string, unknown[], Record<string, unknown>][] = [
      ['path active', [{ op: 'replace', path: 'active', value: false }], { active: false }],
      [
        'Entra capitalised op',
        [{ op: 'Replace', path: 'active', value: false }],
        { active: false },
      ],
      [
        'path name.givenName',
        [{ op: 'replace', path: 'name.givenName', value: 'Anne' }],
        { name: { givenName: 'Anne', familyName: 'Lee' } },
      ],
      [
        'add name.familyName',
        [{ op: 'add', path: 'name.familyName', value: 'Li' }],
        { name: { givenName: 'Ann', familyName: 'Li' } },
      ],
      [
        'path userType',
        [{ op: 'replace', path: 'userType', value: 'Admin' }],
        { userType: 'Admin' },
      ],
      [
        'empty userType keeps the role',
        [{ op: 'replace', path: 'userType', value: '' }],
        { userType: 'Read-only' },
      ],
      [
        'path-less value object',
        [
          {
            op: 'replace',
            value: { active: false, userType: 'Employee', name: { givenName: 'A' } },
          },
        ],
        { active: false, userType: 'Employee', name: { givenName: 'A', familyName: 'Lee' } },
      ],
      [
        'path-less dotted keys',
        [{ op: 'replace', value: { 'name.familyName': 'Li', userName: 'ANN@example.com' } }],
        { userName: 'ann@example.com', name: { givenName: 'Ann', familyName: 'Li' } },
      ],
      [
        'core schema URN path',
        [
          {
            op: 'replace',
            path: 'urn:ietf:params:scim:schemas:core:2.0:User:userType',
            value: 'Admin',
          },
        ],
        { userType: 'Admin' },
      ],
    ]
    for (const [name, operations, expected] of patches) {
      it(`PATCH applies ${name}`, async () => {
        const reply = await scim('PATCH', `/Users/${id}`, { body: patchOf(...operations) })
        expect(reply.status).to.equal(200)
        expect(reply.body).to.deep.include(expected)
      })
    }

    const refusals: [string, unknown, string, string][] = [
      [
        'remove',
        patchOf({ op: 'remove', path: 'userType' }),
        'invalidValue',
        'Unsupported operation',
      ],
      [
        'an unknown path',
        patchOf({ op: 'replace', path: 'title', value: 'x' }),
        'invalidPath',
        'title',
      ],
      [
        'emails',
        patchOf({ op: 'replace', path: 'emails[type eq "work"].value', value: 'x' }),
        'invalidPath',
        'emails',
      ],
      [
        'a string boolean',
        patchOf({ op: 'replace', path: 'active', value: 'False' }),
        'invalidValue',
        'boolean',
      ],
      [
        'an unknown role',
        patchOf({ op: 'replace', path: 'userType', value: 'Boss' }),
        'invalidValue',
        'Boss',
      ],
      ['no Operations', { schemas: [PATCH_SCHEMA] }, 'invalidSyntax', 'Operations'],
      [
        'a userName change',
        patchOf({ op: 'replace', path: 'userName', value: 'new@example.com' }),
        'mutability',
        'You cannot update or delete a read-only field',
      ],
    ]
    for (const [name, body, scimType, detail] of refusals) {
      it(`PATCH answers 400 ${scimType} for ${name}`, async () => {
        const reply = await scim('PATCH', `/Users/${id}`, { body })
        expect(reply.status).to.equal(400)
        expect(reply.body).to.deep.include({ scimType })
        expect(String(pick(reply.body, 'detail'))).to.include(detail)
      })
    }

    it('PUT refuses a userName change with the read-only detail', async () => {
      const reply = await scim('PUT', `/Users/${id}`, { body: { userName: 'new@example.com' } })
      expect(reply.status).to.equal(400)
      expect(pick(reply.body, 'detail')).to.equal('You cannot update or delete a read-only field')
    })

    for (const method of ['PUT', 'PATCH']) {
      it(`${method} refuses an inactive user, even active:true (400 User is not active)`, async () => {
        await scim('PATCH', `/Users/${id}`, {
          body: patchOf({ op: 'replace', path: 'active', value: false }),
        })
        const body =
          method === 'PUT'
            ? { userName: 'ann@example.com', active: true }
            : patchOf({ op: 'replace', path: 'active', value: true })
        const reply = await scim(method, `/Users/${id}`, { body })
        expect(reply.status).to.equal(400)
        expect(pick(reply.body, 'detail')).to.equal('User is not active')
      })
    }

    it("refuses to change the last Admin's role, allows it once another Admin exists", async () => {
      const demote = patchOf({ op: 'replace', path: 'userType', value: 'Employee' })
      const refused = await scim('PATCH', '/Users/1', { body: demote })
      expect(refused.status).to.equal(400)
      expect(pick(refused.body, 'detail')).to.match(/last admin/i)
      await scim('PATCH', `/Users/${id}`, {
        body: patchOf({ op: 'replace', path: 'userType', value: 'Admin' }),
      })
      expect((await scim('PATCH', '/Users/1', { body: demote })).status).to.equal(200)
    })

    it('answers 404 for an unknown id', async () => {
      expect((await scim('PATCH', '/Users/999', { body: patchOf() })).status).to.equal(404)
    })
  })

  describe('DELETE /Users/{id}', () => {
    it('answers 204 and the user is gone', async () => {
      const id = idOf((await create('ann@example.com')).body)
      expect((await scim('DELETE', `/Users/${id}`)).status).to.equal(204)
      expect((await scim('GET', `/Users/${id}`)).status).to.equal(404)
      expect((await scim('DELETE', `/Users/${id}`)).status).to.equal(404)
      const again = await create('ann@example.com')
      expect(again.status).to.equal(201)
      expect(idOf(again.body)).not.to.equal(id)
    })
  })

  describe('discovery and groups', () => {
    it('advertises Users only', async () => {
      const spc = await scim('GET', '/ServiceProviderConfig')
      expect(spc.status).to.equal(200)
      expect(spc.body).to.deep.include({
        patch: { supported: true },
        filter: { supported: true, maxResults: 200 },
      })
      const types = await scim('GET', '/ResourceTypes')
      expect(
        (pick(types.body, 'Resources') as unknown[]).map((type) => pick(type, 'id')),
      ).to.deep.equal(['User'])
      const schemas = await scim('GET', '/Schemas')
      expect(pick(schemas.body, 'Resources', 0, 'id')).to.equal(
        'urn:ietf:params:scim:schemas:core:2.0:User',
      )
      expect((await scim('GET', '/ResourceTypes/Group')).status).to.equal(404)
    })

    const groupCalls: [string, string][] = [
      ['GET', '/Groups'],
      ['POST', '/Groups'],
      ['PATCH', '/Groups/5'],
    ]
    for (const [method, path] of groupCalls) {
      it(`answers ${method} ${path} with a SCIM 404`, async () => {
        const reply = await scim(method, path, { body: method === 'GET' ? undefined : {} })
        expect(reply.status).to.equal(404)
        expect(reply.body).to.deep.include({ schemas: [ERROR_SCHEMA], status: '404' })
      })
    }
  })

  describe('native read model', () => {
    it('GET /v1.0/users lists every user with cursor paging and torii-version 1.0.1', async () => {
      await create('ann@example.com')
      const bob = idOf((await create('bob@example.com')).body)
      await scim('PATCH', `/Users/${bob}`, {
        body: patchOf({ op: 'replace', path: 'active', value: false }),
      })
      const first = await call(sim.url, 'GET', '/v1.0/users?size=2', { token: KEY })
      expect(first.headers.get('torii-version')).to.equal('1.0.1')
      expect(first.body).to.deep.include({ count: 2, total: 3 })
      expect(pick(first.body, 'users', 0)).to.deep.equal({
        id: 1,
        email: 'owner@acme.example',
        firstName: 'Olive',
        lastName: 'Owner',
        status: 'active',
      })
      const cursor = String(pick(first.body, 'nextCursor'))
      const second = await call(sim.url, 'GET', `/v1.0/users?size=2&cursor=${cursor}`, {
        token: KEY,
      })
      expect(second.body).to.deep.include({ count: 1, total: 3, nextCursor: null })
      expect(pick(second.body, 'users', 0)).to.deep.include({
        email: 'bob@example.com',
        status: 'inactive',
      })
    })

    it('refuses a bad cursor or size with {error, message}', async () => {
      for (const query of ['cursor=bm9wZQ', 'size=0', 'size=x']) {
        const reply = await call(sim.url, 'GET', `/v1.0/users?${query}`, { token: KEY })
        expect(reply.status).to.equal(400)
        expect(reply.body).to.have.keys('error', 'message')
      }
    })

    it('GET /v1.0/roles lists the account roles', async () => {
      await start({ roles: ['Admin', 'Employee', 'Custom Role'] })
      const reply = await call(sim.url, 'GET', '/v1.0/roles', { token: KEY })
      expect(reply.body).to.deep.equal({ roles: ['Admin', 'Employee', 'Custom Role'] })
    })
  })

  describe('rate limits and faults', () => {
    it('limits SCIM and native calls separately, each with Retry-After', async () => {
      await start({ rateLimit: { scim: { limit: 2 }, native: { limit: 1 } } })
      expect((await scim('GET', '/Users')).status).to.equal(200)
      expect((await scim('GET', '/Users')).status).to.equal(200)
      const scimLimited = await scim('GET', '/Users')
      expect(scimLimited.status).to.equal(429)
      expect(scimLimited.body).to.deep.include({ schemas: [ERROR_SCHEMA], status: '429' })
      expect(Number(scimLimited.headers.get('retry-after'))).to.be.within(1, 60)
      expect((await call(sim.url, 'GET', '/v1.0/users', { token: KEY })).status).to.equal(200)
      const nativeLimited = await call(sim.url, 'GET', '/v1.0/users', { token: KEY })
      expect(nativeLimited.status).to.equal(429)
      expect(nativeLimited.body).to.deep.include({ error: 'Too Many Requests' })
    })

    it('has no limit with rateLimit: false', async () => {
      await start({ rateLimit: false })
      const replies = await Promise.all(
        Array.from({ length: 250 }, () => scim('GET', '/Users?count=1')),
      )
      expect(replies.every((reply) => reply.status === 200)).to.equal(true)
    })

    it('answers injected faults as SCIM errors and logs without the key', async () => {
      await call(sim.url, 'POST', '/_sim/faults', {
        body: { count: 1, status: 503, retryAfter: 3 },
      })
      const reply = await create('ann@example.com')
      expect(reply.status).to.equal(503)
      expect(reply.headers.get('retry-after')).to.equal('3')
      expect(reply.body).to.deep.include({ schemas: [ERROR_SCHEMA], status: '503' })
      expect((await create('ann@example.com')).status).to.equal(201)
      const log = (await call(sim.url, 'GET', '/_sim/requests')).body
      expect(
        (pick(log, 'requests') as unknown[]).map((record) => pick(record, 'status')),
      ).to.deep.equal([503, 201])
      expect(JSON.stringify(log)).not.to.include(KEY)
    })
  })
})
