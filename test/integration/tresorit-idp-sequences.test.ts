import { randomUUID } from 'node:crypto'
import { expect } from 'chai'
import type { SimulatorHandle } from '../../src/simulators/index.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import {
  ENTERPRISE,
  GROUP,
  LIST_RESPONSE,
  USER,
  createUser,
  filterQuery,
  patchOf,
  resourcesOf,
} from '../helpers/scim-fixtures.ts'
import {
  simRequests,
  simState,
  startProducts,
  type ProductGateway,
  type StartProductsOptions,
} from '../helpers/start-products.ts'

interface ProductUser {
  email: string
  firstName: string
  status: string
  suspendedBy: string | null
}

const productUser = async (sim: SimulatorHandle, email: string) =>
  (await simState<{ users: ProductUser[] }>(sim)).users.find((u) => u.email === email)
const clearRequests = (sim: SimulatorHandle) =>
  fetch(`${sim.url}/_sim/requests`, { method: 'DELETE' }).then(() => undefined)

async function startTresorit(
  options: StartProductsOptions,
  client: { userAgent?: string; contentType?: string } = {},
) {
  const products = await startProducts(options)
  const token = await products.started.token('demo', 'tresorit')
  return { products, scim: scimClient({ baseUrl: products.started.scimUrl, token, ...client }) }
}

/** IDP-BEHAVIOR.md's Entra ID sequence (without aadOptscim062020), as far as Tresorit allows. */
describe('Entra ID provisioning through the Tresorit-like connector', () => {
  let products: ProductGateway
  let scim: ScimClient
  let sim: SimulatorHandle
  let id = ''
  const userName = 'Test_User_ab6490ee@contoso.com'
  const email = userName.toLowerCase()

  before(async () => {
    ;({ products, scim } = await startTresorit({}))
    sim = products.tresorit
  })
  after(() => products.close())
  beforeEach(() => clearRequests(sim))

  it('answers Test Connection (a random GUID userName) with 200 and an empty ListResponse', async () => {
    const res = await scim.get(`/Users?${filterQuery(`userName eq "${randomUUID()}"`)}`)
    expect(res.status).to.equal(200)
    expect(res.body).to.deep.equal({
      schemas: [LIST_RESPONSE],
      totalResults: 0,
      itemsPerPage: 0,
      startIndex: 1,
      Resources: [],
    })
    expect(await simRequests(sim)).to.deep.equal([])
  })

  it('looks the user up, finds none, and creates it by invitation (booleans from strings, nulls dropped)', async () => {
    expect(resourcesOf(await scim.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`))).to.be
      .empty
    const res = await scim.post('/Users', {
      schemas: [USER, ENTERPRISE],
      externalId: 'jyoung',
      userName,
      active: 'True',
      addresses: null,
      displayName: 'Test User',
      emails: [{ primary: 'True', type: 'work', value: userName }],
      meta: { resourceType: 'User' },
      name: { familyName: 'User', givenName: 'Test' },
      title: null,
      roles: [],
      [ENTERPRISE]: { employeeNumber: '1234', department: 'Sales', manager: null },
    })
    expect(res.status, JSON.stringify(res.body)).to.equal(201)
    const user = objectOf(res)
    id = user.id as string
    expect(user).to.deep.include({ userName, active: true, externalId: 'jyoung' })
    expect(user[ENTERPRISE]).to.deep.equal({ employeeNumber: '1234', department: 'Sales' })
    expect((await simRequests(sim)).map((r) => r.body)).to.deep.equal([
      { email, firstName: 'Test', lastName: 'User' },
    ])
    expect(await productUser(sim, email)).to.deep.include({ status: 'invited', firstName: 'Test' })
  })

  it('accepts attribute updates with capitalised ops, keeps them, and sends none of them', async () => {
    const res = await scim.patch(
      `/Users/${id}`,
      patchOf(
        { op: 'Replace', path: 'displayName', value: 'Tess User' },
        { op: 'Replace', path: 'name.givenName', value: 'Tess' },
        { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Engineering' },
        { op: 'Add', path: 'nickName', value: 'Babs' },
      ),
    )
    expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 204])
    const user = objectOf(await scim.get(`/Users/${id}`))
    expect(user).to.deep.include({ displayName: 'Tess User', nickName: 'Babs' })
    expect(user.name).to.deep.equal({ familyName: 'User', givenName: 'Tess' })
    expect((user[ENTERPRISE] as Record<string, unknown>).department).to.equal('Engineering')
    expect(await simRequests(sim)).to.deep.equal([])
    expect(await productUser(sim, email)).to.deep.include({ firstName: 'Test' })
  })

  it('soft-deletes with active "False" (still returned, suspended) and restores with "True"', async () => {
    const set = (value: string) =>
      scim.patch(`/Users/${id}`, patchOf({ op: 'Replace', path: 'active', value }))
    expect((await set('False')).status).to.be.oneOf([200, 204])
    expect(objectOf(await scim.get(`/Users/${id}`)).active).to.equal(false)
    expect(await productUser(sim, email)).to.deep.include({ status: 'suspended' })
    expect((await set('True')).status).to.be.oneOf([200, 204])
    expect(objectOf(await scim.get(`/Users/${id}`)).active).to.equal(true)
    expect(await productUser(sim, email)).to.deep.include({ status: 'invited', suspendedBy: null })
    expect((await simRequests(sim)).map((r) => r.body)).to.deep.equal([
      { status: 'suspended' },
      { status: 'active' },
    ])
  })

  it('gets 404 for its group lookups and group creates', async () => {
    const lookup = await scim.get(
      `/Groups?excludedAttributes=members&${filterQuery('displayName eq "Sales"')}`,
    )
    expectScimError(lookup, 404)
    expect(objectOf(lookup).detail).to.match(/Groups are not supported/)
    const create = await scim.post('/Groups', {
      schemas: [GROUP, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      externalId: randomUUID(),
      displayName: 'Sales',
      meta: { resourceType: 'Group' },
    })
    expectScimError(create, 404)
    expect(await simRequests(sim)).to.deep.equal([])
  })

  it('deprovisions with DELETE: 204, removed from the subscription, then 404', async () => {
    expect((await scim.delete(`/Users/${id}`)).status).to.equal(204)
    expectScimError(await scim.get(`/Users/${id}`), 404)
    expect(resourcesOf(await scim.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`))).to.be
      .empty
    expect(await productUser(sim, email)).to.deep.include({ status: 'removed' })
  })
})

/** IDP-BEHAVIOR.md's Okta sequence ("Create Users" and "Deactivate Users" only), through Tresorit. */
describe('Okta provisioning through the Tresorit-like connector', () => {
  let products: ProductGateway
  let scim: ScimClient
  let sim: SimulatorHandle
  let id = ''
  const oktaUser = (userName: string, givenName = 'Test') => ({
    schemas: [USER],
    userName,
    name: { givenName, familyName: 'User' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Test User',
    locale: 'en-US',
    externalId: '00ujl29u0le5T6Aj10h7',
    groups: [],
    password: '1mz050nq',
    active: true,
  })

  before(async () => {
    ;({ products, scim } = await startTresorit(
      {},
      { userAgent: 'Okta SCIM Client 1.0.0', contentType: 'application/json' },
    ))
    sim = products.tresorit
  })
  after(() => products.close())
  beforeEach(() => clearRequests(sim))

  it('looks the user up (200, totalResults 0) and creates it from application/json, never sending the password', async () => {
    const lookup = await scim.get(
      '/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100',
    )
    expect(objectOf(lookup)).to.include({ totalResults: 0, startIndex: 1, itemsPerPage: 0 })
    const res = await scim.post('/Users', oktaUser('Test.User@okta.local'))
    expect(res.status, JSON.stringify(res.body)).to.equal(201)
    id = objectOf(res).id as string
    expect(objectOf(res)).to.not.have.property('password')
    expect((await simRequests(sim)).map((r) => r.body)).to.deep.equal([
      { email: 'test.user@okta.local', firstName: 'Test', lastName: 'User' },
    ])
  })

  it('answers a duplicate create with 409 uniqueness and sends nothing', async () => {
    expectScimError(await scim.post('/Users', oktaUser('TEST.USER@okta.local')), 409, 'uniqueness')
    expect(await simRequests(sim)).to.deep.equal([])
  })

  it('accepts GET then PUT with a changed name: kept in SCIM, not sent, product unchanged', async () => {
    const current = objectOf(await scim.get(`/Users/${id}`))
    const res = await scim.put(`/Users/${id}`, {
      ...current,
      name: { ...oktaUser('').name, givenName: 'Changed' },
    })
    expect(res.status, JSON.stringify(res.body)).to.equal(200)
    expect(objectOf(await scim.get(`/Users/${id}`)).name).to.deep.include({ givenName: 'Changed' })
    expect(await simRequests(sim)).to.deep.equal([])
    expect(await productUser(sim, 'test.user@okta.local')).to.deep.include({ firstName: 'Test' })
    const events = await products.started.gateway.events.list({
      tenant: 'demo',
      connection: 'tresorit',
      limit: 50,
    })
    const put = events.find((e) => e.method === 'PUT' && e.status === 200)
    expect(put?.dialect).to.equal('okta')
    expect(put?.ignored).to.deep.include({ attribute: 'name.givenName', rule: 'writeOnCreateOnly' })
  })

  it('deactivates with a path-less replace and reactivates the same way', async () => {
    const set = (active: boolean) =>
      scim.patch(`/Users/${id}`, patchOf({ op: 'replace', value: { active } }))
    expect((await set(false)).status).to.be.oneOf([200, 204])
    expect(objectOf(await scim.get(`/Users/${id}`)).active).to.equal(false)
    expect(await productUser(sim, 'test.user@okta.local')).to.deep.include({
      status: 'suspended',
      suspendedBy: 'scim',
    })
    expect((await set(true)).status).to.be.oneOf([200, 204])
    expect(await productUser(sim, 'test.user@okta.local')).to.deep.include({ status: 'invited' })
  })

  it('imports in stable pages of integers', async () => {
    for (const n of [1, 2, 3]) await createUser(scim, `okta.${n}@okta.local`)
    const page = async (startIndex: number) => {
      const res = await scim.get(`/Users?startIndex=${startIndex}&count=2`)
      const list = objectOf(res)
      expect(list).to.include({ totalResults: 4, startIndex })
      expect(list.itemsPerPage).to.be.a('number')
      return resourcesOf(res).map((r) => r.id as string)
    }
    const ids = [...(await page(1)), ...(await page(3))]
    expect(new Set(ids).size).to.equal(4)
    expect([...(await page(1)), ...(await page(3))]).to.deep.equal(ids)
  })
})

describe('Tresorit-like connector: delete policies', () => {
  const cases = [
    {
      policy: 'deactivate',
      options: {},
      request: ['PATCH', '/acme/admin/v1/users/ada%40example.com'],
      after: { status: 'suspended', suspendedBy: 'scim' },
      outcome: 'deactivated',
    },
    {
      policy: 'hard',
      options: { advancedControl: true },
      request: ['DELETE', '/acme/admin/v1/users/ada%40example.com'],
      after: undefined,
      outcome: 'deleted',
    },
  ]
  for (const c of cases) {
    it(`with deletePolicy ${c.policy}, DELETE answers 204 then 404 and the product user is ${c.outcome}; a new create brings it back`, async () => {
      const { products, scim } = await startTresorit({
        tresorit: c.options,
        tresoritConnection: `    deletePolicy: ${c.policy}`,
      })
      try {
        const sim = products.tresorit
        const user = await createUser(scim, 'Ada@Example.com', { active: true })
        await clearRequests(sim)
        expect((await scim.delete(`/Users/${user.id as string}`)).status).to.equal(204)
        expectScimError(await scim.get(`/Users/${user.id as string}`), 404)
        expect((await simRequests(sim)).map((r) => [r.method, r.path])).to.deep.equal([c.request])
        const found = await productUser(sim, 'ada@example.com')
        if (c.after) expect(found).to.deep.include(c.after)
        else expect(found).to.equal(undefined)
        const events = await products.started.gateway.events.list({
          tenant: 'demo',
          connection: 'tresorit',
          limit: 5,
        })
        expect(events.find((e) => e.method === 'DELETE')?.outcome).to.equal(c.outcome)
        await createUser(scim, 'Ada@Example.com', { active: true })
        expect(await productUser(sim, 'ada@example.com')).to.deep.include({ status: 'invited' })
      } finally {
        await products.close()
      }
    })
  }
})
