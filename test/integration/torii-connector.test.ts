import { expect } from 'chai'
import type { ToriiUser } from '../../src/simulators/torii/users.ts'
import type { SimulatorHandle } from '../../src/simulators/index.ts'
import {
  simFault,
  simRequests,
  simState,
  startProducts,
  type ProductGateway,
} from '../helpers/start-products.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import { createUser, filterQuery, patchOf, resourcesOf, USER } from '../helpers/scim-fixtures.ts'

const TORII_USERS = '/v1.0/scim/v2/Users'

const toriiUsers = async (sim: SimulatorHandle) =>
  (await simState<{ users: ToriiUser[] }>(sim)).users
const toriiUser = async (sim: SimulatorHandle, id: unknown) =>
  (await toriiUsers(sim)).find((u) => String(u.id) === id)
const clearRequests = async (sim: SimulatorHandle) => {
  await fetch(`${sim.url}/_sim/requests`, { method: 'DELETE' })
}
const sent = async (sim: SimulatorHandle) =>
  (await simRequests(sim)).map((r) => ({ ...r, line: `${r.method} ${r.path}` }))

async function connect(products: ProductGateway): Promise<ScimClient> {
  const token = await products.started.token('demo', 'torii')
  return scimClient({ baseUrl: products.started.scimUrl, token })
}

const logOf = (products: ProductGateway) =>
  products.started.gateway.events.list({ tenant: 'demo', connection: 'torii', limit: 50 })

describe('Torii connector (proxy to Torii SCIM)', () => {
  let products: ProductGateway
  let scim: ScimClient
  before(async () => {
    products = await startProducts()
    scim = await connect(products)
  })
  after(() => products.close())
  beforeEach(() => clearRequests(products.torii))

  it("answers with Torii's integer id as the SCIM id, in Location and meta.location", async () => {
    const res = await scim.post('/Users', { schemas: [USER], userName: 'ids@acme.example' })
    expect(res.status).to.equal(201)
    const id = objectOf(res).id as string
    expect(id).to.match(/^[0-9]+$/)
    expect((await toriiUser(products.torii, id))?.userName).to.equal('ids@acme.example')
    const location = `${products.started.scimUrl}/Users/${id}`
    expect(res.headers.get('location')).to.equal(location)
    expect(objectOf(res).meta).to.include({ location })
    expect(objectOf(await scim.get(`/Users/${id}`)).id).to.equal(id)
  })

  it('refuses a missing or non-email userName with 400 invalidValue before sending anything', async () => {
    const refused = ['nobody', 'x@nodot', 'two@@acme.example']
    for (const userName of [...refused, undefined]) {
      const res = await scim.post('/Users', { schemas: [USER], userName, name: { givenName: 'N' } })
      expectScimError(res, 400, 'invalidValue')
      expect(objectOf(res).detail).to.match(/userName/)
    }
    expect(await sent(products.torii)).to.deep.equal([])
    const held = (await toriiUsers(products.torii)).map((u) => u.userName)
    expect(held.filter((u) => refused.includes(u))).to.deep.equal([])
  })

  it('refuses a userName change by PATCH or PUT with 400 mutability, sending nothing', async () => {
    const user = await createUser(scim, 'fixed@acme.example')
    const id = user.id as string
    await clearRequests(products.torii)
    const patch = patchOf({ op: 'replace', path: 'userName', value: 'moved@acme.example' })
    expectScimError(await scim.patch(`/Users/${id}`, patch), 400, 'mutability')
    const put = { ...user, userName: 'moved@acme.example' }
    expectScimError(await scim.put(`/Users/${id}`, put), 400, 'mutability')
    expect(await sent(products.torii)).to.deep.equal([])
    expect((await toriiUser(products.torii, id))?.userName).to.equal('fixed@acme.example')
    expect(objectOf(await scim.get(`/Users/${id}`)).userName).to.equal('fixed@acme.example')
  })

  it("takes userType only as an exact, case-sensitive role of the connection's list", async () => {
    const refused = await scim.post('/Users', {
      schemas: [USER],
      userName: 'lower@acme.example',
      userType: 'admin',
    })
    expectScimError(refused, 400, 'invalidValue')
    expect(objectOf(refused).detail).to.contain('Admin, Read-only, IT Admin, Employee')
    expect((await sent(products.torii)).filter((r) => r.method === 'POST')).to.deep.equal([])
    const user = await createUser(scim, 'reader@acme.example', { userType: 'Read-only' })
    expect(user.userType).to.equal('Read-only')
    expect((await toriiUser(products.torii, user.id))?.role).to.equal('Read-only')
    await clearRequests(products.torii)
    const change = patchOf({ op: 'replace', path: 'userType', value: 'it admin' })
    expectScimError(await scim.patch(`/Users/${String(user.id)}`, change), 400, 'invalidValue')
    expect(await sent(products.torii)).to.deep.equal([])
    expect((await toriiUser(products.torii, user.id))?.role).to.equal('Read-only')
  })

  it('gives Employee to a user created with an empty or absent userType', async () => {
    const empty = await createUser(scim, 'empty-type@acme.example', { userType: '' })
    const absent = await createUser(scim, 'no-type@acme.example')
    for (const user of [empty, absent]) {
      expect(user.userType).to.equal('Employee')
      expect((await toriiUser(products.torii, user.id))?.role).to.equal('Employee')
    }
  })

  it('keeps the role when a PATCH of another attribute or a PUT omits userType', async () => {
    const user = await createUser(scim, 'it@acme.example', {
      userType: 'IT Admin',
      name: { givenName: 'Ida', familyName: 'Tech' },
    })
    const id = user.id as string
    await clearRequests(products.torii)
    const rename = patchOf({ op: 'replace', path: 'name.givenName', value: 'Idun' })
    expect((await scim.patch(`/Users/${id}`, rename)).status).to.be.oneOf([200, 204])
    const current = objectOf(await scim.get(`/Users/${id}`))
    const put = {
      ...current,
      userType: undefined,
      name: { givenName: 'Idun', familyName: 'Technica' },
    }
    expect((await scim.put(`/Users/${id}`, put)).status).to.equal(200)
    expect(await toriiUser(products.torii, id)).to.deep.include({
      givenName: 'Idun',
      familyName: 'Technica',
      role: 'IT Admin',
    })
    expect(objectOf(await scim.get(`/Users/${id}`)).userType).to.equal('IT Admin')
    // Only the names went to Torii: the role was never re-sent, let alone cleared.
    const bodies = JSON.stringify((await sent(products.torii)).map((r) => r.body))
    expect(bodies).to.contain('givenName').and.not.contain('userType')
  })

  it('has no Groups: 404 with a clear detail, and none advertised in /ResourceTypes', async () => {
    for (const res of [
      await scim.get('/Groups'),
      await scim.post('/Groups', { displayName: 'Sales', members: [] }),
      await scim.get('/ResourceTypes/Group'),
    ]) {
      expectScimError(res, 404)
      expect(objectOf(res).detail).to.match(/Group/)
    }
    expect(objectOf(await scim.get('/Groups')).detail).to.match(/Groups are not supported/)
    const types = resourcesOf(await scim.get('/ResourceTypes')).map((t) => t.name)
    expect(types).to.deep.equal(['User'])
    expect(await sent(products.torii)).to.deep.equal([])
  })

  it('deletes the user in Torii by default (deletePolicy hard), then answers 404', async () => {
    const id = (await createUser(scim, 'leaver@acme.example')).id as string
    expect((await scim.delete(`/Users/${id}`)).status).to.equal(204)
    expect(await toriiUser(products.torii, id)).to.equal(undefined)
    expect((await sent(products.torii)).map((r) => r.line)).to.include(
      `DELETE ${TORII_USERS}/${id}`,
    )
    expectScimError(await scim.get(`/Users/${id}`), 404)
    expectScimError(await scim.delete(`/Users/${id}`), 404)
  })

  it('still answers a deactivated user from the link store, though Torii lists only active ones', async () => {
    const user = await createUser(scim, 'Soft.Deleted@acme.example', { active: true })
    const id = user.id as string
    const off = patchOf({ op: 'replace', path: 'active', value: false })
    expect((await scim.patch(`/Users/${id}`, off)).status).to.be.oneOf([200, 204])
    expect((await toriiUser(products.torii, id))?.active).to.equal(false)
    const upstream = await fetch(
      `${products.torii.baseUrl}/scim/v2/Users?${filterQuery('userName eq "Soft.Deleted@acme.example"')}`,
      { headers: { authorization: `Bearer ${products.torii.credential}` } },
    )
    expect(((await upstream.json()) as { totalResults: number }).totalResults).to.equal(0)
    await clearRequests(products.torii)
    expect(objectOf(await scim.get(`/Users/${id}`))).to.include({ id, active: false })
    const found = resourcesOf(
      await scim.get(`/Users?${filterQuery('userName eq "soft.deleted@acme.example"')}`),
    )
    expect(found.map((r) => [r.id, r.active])).to.deep.equal([[id, false]])
    expect(await sent(products.torii)).to.deep.equal([])
  })

  it('reactivates with POST /Users, sending changes made while inactive (PATCH)', async () => {
    const user = await createUser(scim, 'returner@acme.example', {
      name: { givenName: 'Ray', familyName: 'Turner' },
      userType: 'Read-only',
    })
    const id = user.id as string
    await scim.patch(`/Users/${id}`, patchOf({ op: 'replace', path: 'active', value: false }))
    await clearRequests(products.torii)
    const rename = patchOf({ op: 'replace', path: 'name.givenName', value: 'Raymond' })
    expect((await scim.patch(`/Users/${id}`, rename)).status).to.be.oneOf([200, 204])
    expect(await sent(products.torii)).to.deep.equal([])
    expect((await toriiUser(products.torii, id))?.givenName).to.equal('Ray')
    expect(objectOf(await scim.get(`/Users/${id}`)).name).to.deep.include({ givenName: 'Raymond' })
    const events = await logOf(products)
    const ignored = events.find(
      (e) => e.subject === 'returner@acme.example' && e.ignored.length > 0,
    )?.ignored
    expect(ignored).to.deep.equal([{ attribute: 'name.givenName', rule: 'sentOnReactivation' }])

    const on = patchOf({ op: 'replace', path: 'active', value: true })
    expect((await scim.patch(`/Users/${id}`, on)).status).to.be.oneOf([200, 204])
    const requests = await sent(products.torii)
    expect(requests.map((r) => `${r.line} ${r.status}`)).to.deep.equal([`POST ${TORII_USERS} 201`])
    expect(requests[0]?.body).to.deep.include({
      name: { givenName: 'Raymond', familyName: 'Turner' },
    })
    expect(await toriiUser(products.torii, id)).to.deep.include({
      active: true,
      givenName: 'Raymond',
      role: 'Read-only',
    })
    expect(objectOf(await scim.get(`/Users/${id}`))).to.include({ id, active: true })
  })

  it("reactivates with POST when Okta's AIW integration PUTs active true", async () => {
    const user = await createUser(scim, 'aiw@acme.example', {
      name: { givenName: 'A', familyName: 'W' },
    })
    const id = user.id as string
    const body = { ...user, meta: undefined }
    expect((await scim.put(`/Users/${id}`, { ...body, active: false })).status).to.equal(200)
    expect((await toriiUser(products.torii, id))?.active).to.equal(false)
    await clearRequests(products.torii)
    const res = await scim.put(`/Users/${id}`, {
      ...body,
      name: { givenName: 'Aiw', familyName: 'W' },
      active: true,
    })
    expect(objectOf(res)).to.include({ id, active: true })
    expect((await sent(products.torii)).map((r) => r.line)).to.deep.equal([`POST ${TORII_USERS}`])
    expect(await toriiUser(products.torii, id)).to.deep.include({ active: true, givenName: 'Aiw' })
  })
})

describe('Torii connector with deletePolicy deactivate', () => {
  let products: ProductGateway
  let scim: ScimClient
  before(async () => {
    products = await startProducts({ toriiConnection: '    deletePolicy: deactivate' })
    scim = await connect(products)
  })
  after(() => products.close())

  it('keeps the user in Torii, inactive, answers 204 then 404, and revives it with the same id', async () => {
    const id = (await createUser(scim, 'kept@acme.example')).id as string
    await clearRequests(products.torii)
    expect((await scim.delete(`/Users/${id}`)).status).to.equal(204)
    expect((await sent(products.torii)).map((r) => r.method)).to.deep.equal(['PATCH'])
    expect(await toriiUser(products.torii, id)).to.deep.include({ active: false })
    expectScimError(await scim.get(`/Users/${id}`), 404)
    const again = await createUser(scim, 'kept@acme.example')
    expect(again.id).to.equal(id)
    expect((await toriiUser(products.torii, id))?.active).to.equal(true)
    expect(await toriiUsers(products.torii)).to.have.length(1)
  })
})

describe("Torii connector under Torii's rate limit", () => {
  let products: ProductGateway
  let scim: ScimClient
  before(async () => {
    products = await startProducts({
      torii: { rateLimit: { scim: { limit: 2, windowSeconds: 1 } } },
      gatewayYaml: 'listen: { host: 127.0.0.1, port: 0 }\nupstream: { maxRetryWaitSeconds: 2 }\n',
    })
    scim = await connect(products)
  })
  after(() => products.close())

  it('rides out a burst by retrying 429s after Retry-After, creating each user once (409 for the duplicate)', async () => {
    const names = [1, 2, 3, 4, 5].map((n) => `burst${n}@acme.example`)
    // The IdP's retry of the first create lands in the same burst.
    const results = await Promise.all(
      [...names, names[0]].map((userName) => scim.post('/Users', { schemas: [USER], userName })),
    )
    expect(results.map((r) => r.status).sort()).to.deep.equal([201, 201, 201, 201, 201, 409])
    const requests = await sent(products.torii)
    expect(requests.filter((r) => r.status === 429)).to.not.be.empty
    const events = await logOf(products)
    const retried = events.filter((e) => e.retries > 0 && e.status === 201)
    expect(retried.flatMap((e) => e.upstream.map((c) => c.status))).to.include(429)
    expect(requests.filter((r) => r.status === 201)).to.have.length(5)
    expect((await toriiUsers(products.torii)).map((u) => u.userName).sort()).to.deep.equal(names)
  })

  it('answers 429 with Retry-After when Torii asks for a longer wait; the retry creates once', async () => {
    await clearRequests(products.torii)
    await simFault(products.torii, { status: 429, retryAfter: 3 })
    const create = () => scim.post('/Users', { schemas: [USER], userName: 'patient@acme.example' })
    const res = await create()
    expectScimError(res, 429)
    expect(res.headers.get('retry-after')).to.equal('3')
    const users = async () => (await toriiUsers(products.torii)).map((u) => u.userName)
    expect(await users()).to.not.include('patient@acme.example')
    const lookup = `/Users?${filterQuery('userName eq "patient@acme.example"')}`
    expect(resourcesOf(await scim.get(lookup))).to.deep.equal([])
    // The IdP retries, as it would after Retry-After (bounded polling, no timing asserted).
    let retry = await create()
    for (let n = 0; retry.status === 429 && n < 20; n++) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      retry = await create()
    }
    expect(retry.status).to.equal(201)
    expect((await users()).filter((u) => u === 'patient@acme.example')).to.have.length(1)
    const posts = (await sent(products.torii)).filter((r) => r.method === 'POST')
    expect(posts.map((r) => r.status)).to.deep.equal([429, 201])
  })
})

describe('Torii connector with an expired API key', () => {
  let products: ProductGateway
  let scim: ScimClient
  before(async () => {
    products = await startProducts({
      torii: { apiKeys: [{ key: 'torii-key-2031', expiresAt: '2031-01-01T00:00:00.000Z' }] },
    })
    scim = await connect(products)
  })
  after(() => products.close())

  it('answers 502 naming a misconfigured connection, never 401, once the key has expired', async () => {
    expect(
      (await scim.post('/Users', { schemas: [USER], userName: 'before@acme.example' })).status,
    ).to.equal(201)
    const clock = await fetch(`${products.torii.url}/_sim/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ now: '2031-02-01T00:00:00.000Z' }),
    })
    expect(clock.status).to.equal(200)
    await clearRequests(products.torii)
    const res = await scim.post('/Users', { schemas: [USER], userName: 'after@acme.example' })
    expectScimError(res, 502)
    expect(objectOf(res).detail).to.match(/misconfigured/)
    expect((await sent(products.torii)).map((r) => r.status)).to.deep.equal([401])
    expect((await toriiUsers(products.torii)).map((u) => u.userName)).to.deep.equal([
      'before@acme.example',
    ])
    const health = products.started.gateway.upstream.health('demo/torii')
    expect(health?.misconfigured?.reason).to.match(/misconfigured/)
    // The IdP's token is fine: reads from the link store still answer.
    expect((await scim.get('/Users')).status).to.equal(200)
  })
})
