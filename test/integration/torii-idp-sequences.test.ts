import { randomUUID } from 'node:crypto'
import { expect } from 'chai'
import type { SimulatorHandle } from '../../src/simulators/index.ts'
import type { ToriiUser } from '../../src/simulators/torii/users.ts'
import {
  simRequests,
  simState,
  startProducts,
  type ProductGateway,
} from '../helpers/start-products.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import {
  ENTERPRISE,
  filterQuery,
  LIST_RESPONSE,
  patchOf,
  resourcesOf,
  USER,
} from '../helpers/scim-fixtures.ts'

const TORII_USERS = '/v1.0/scim/v2/Users'

const toriiUsers = async (sim: SimulatorHandle) =>
  (await simState<{ users: ToriiUser[] }>(sim)).users
const toriiUser = async (sim: SimulatorHandle, id: string) =>
  (await toriiUsers(sim)).find((u) => String(u.id) === id)
const clearRequests = async (sim: SimulatorHandle) => {
  await fetch(`${sim.url}/_sim/requests`, { method: 'DELETE' })
}
const sentLines = async (sim: SimulatorHandle) =>
  (await simRequests(sim)).map((r) => `${r.method} ${r.path}`)

/** Entra ID through the Torii connection, in both PATCH dialects (IDP-BEHAVIOR.md). */
for (const flagged of [false, true]) {
  describe(`Entra ID through Torii ${flagged ? 'with' : 'without'} aadOptscim062020`, () => {
    let products: ProductGateway
    let scim: ScimClient
    let id = ''
    const userName = 'Test_User_ab6490ee@contoso.com'
    // Without the flag Entra capitalises ops and sends booleans as strings.
    const op = (name: string) => (flagged ? name : `${name[0]?.toUpperCase()}${name.slice(1)}`)
    const bool = (value: boolean) => (flagged ? value : value ? 'True' : 'False')
    const setActive = (value: boolean) =>
      scim.patch(`/Users/${id}`, patchOf({ op: op('replace'), path: 'active', value: bool(value) }))

    before(async () => {
      products = await startProducts()
      scim = scimClient({
        baseUrl: products.started.scimUrl,
        token: await products.started.token('demo', 'torii'),
        ...(flagged ? { query: 'aadOptscim062020' } : {}),
      })
    })
    after(() => products.close())
    beforeEach(() => clearRequests(products.torii))

    it('answers Test Connection with 200 and an empty ListResponse, without asking Torii', async () => {
      const res = await scim.get(`/Users?${filterQuery(`userName eq "${randomUUID()}"`)}`)
      expect(res.status).to.equal(200)
      expect(objectOf(res)).to.deep.include({ schemas: [LIST_RESPONSE], totalResults: 0 })
      expect(objectOf(res).Resources).to.deep.equal([])
      expect(await sentLines(products.torii)).to.deep.equal([])
    })

    it(`looks the user up, then creates it with active ${flagged ? 'true' : '"True"'} (Employee, a real boolean sent)`, async () => {
      expect(resourcesOf(await scim.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`))).to
        .be.empty
      const res = await scim.post('/Users', {
        schemas: [USER, ENTERPRISE],
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        userName,
        active: bool(true),
        displayName: 'Test User',
        emails: [{ primary: true, type: 'work', value: userName }],
        meta: { resourceType: 'User' },
        name: { formatted: 'Test User', familyName: 'User', givenName: 'Test' },
        roles: [],
        title: null,
        [ENTERPRISE]: { department: 'Sales', employeeNumber: '701984' },
      })
      expect(res.status).to.equal(201)
      id = objectOf(res).id as string
      expect(objectOf(res)).to.include({
        active: true,
        userType: 'Employee',
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      })
      expect(await toriiUser(products.torii, id)).to.deep.include({
        userName,
        givenName: 'Test',
        familyName: 'User',
        role: 'Employee',
        active: true,
      })
      const [post] = await simRequests(products.torii)
      expect(post?.body).to.deep.include({ active: true, userName })
    })

    it('applies attribute PATCHes to name.givenName and userType', async () => {
      const operations = flagged
        ? [{ op: 'replace', value: { 'name.givenName': 'Testy', userType: 'IT Admin' } }]
        : [
            { op: 'Replace', path: 'name.givenName', value: 'Testy' },
            { op: 'Replace', path: 'userType', value: 'IT Admin' },
          ]
      expect((await scim.patch(`/Users/${id}`, patchOf(...operations))).status).to.be.oneOf([
        200, 204,
      ])
      expect(await toriiUser(products.torii, id)).to.deep.include({
        givenName: 'Testy',
        role: 'IT Admin',
      })
      expect(objectOf(await scim.get(`/Users/${id}`))).to.deep.include({
        name: { formatted: 'Test User', familyName: 'User', givenName: 'Testy' },
        userType: 'IT Admin',
      })
      expect(await sentLines(products.torii)).to.deep.equal([`PATCH ${TORII_USERS}/${id}`])
    })

    it('soft-deletes with active false and still returns the user by id and by filter', async () => {
      expect((await setActive(false)).status).to.be.oneOf([200, 204])
      expect((await toriiUser(products.torii, id))?.active).to.equal(false)
      expect(objectOf(await scim.get(`/Users/${id}`))).to.include({ id, active: false })
      const found = resourcesOf(
        await scim.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`),
      )
      expect(found.map((r) => [r.id, r.active])).to.deep.equal([[id, false]])
    })

    it('restores with active true: Torii gets a POST and keeps the id and the role', async () => {
      expect((await setActive(true)).status).to.be.oneOf([200, 204])
      expect(await sentLines(products.torii)).to.deep.equal([`POST ${TORII_USERS}`])
      expect(await toriiUser(products.torii, id)).to.deep.include({
        active: true,
        givenName: 'Testy',
        role: 'IT Admin',
      })
      expect(await toriiUsers(products.torii)).to.have.length(1)
      expect(objectOf(await scim.get(`/Users/${id}`))).to.include({ id, active: true })
    })

    it('answers group lookups and creates with 404', async () => {
      const lookup = await scim.get(
        `/Groups?excludedAttributes=members&${filterQuery('displayName eq "Sales"')}`,
      )
      expectScimError(lookup, 404)
      expect(objectOf(lookup).detail).to.match(/Groups are not supported/)
      const create = await scim.post('/Groups', {
        schemas: [
          'urn:ietf:params:scim:schemas:core:2.0:Group',
          'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group',
        ],
        externalId: randomUUID(),
        displayName: 'Sales',
        meta: { resourceType: 'Group' },
      })
      expectScimError(create, 404)
      expect(await sentLines(products.torii)).to.deep.equal([])
    })

    it('hard-deletes with DELETE: 204, gone from Torii, then 404', async () => {
      expect((await scim.delete(`/Users/${id}`)).status).to.equal(204)
      expect(await sentLines(products.torii)).to.deep.equal([`DELETE ${TORII_USERS}/${id}`])
      expect(await toriiUsers(products.torii)).to.deep.equal([])
      expectScimError(await scim.get(`/Users/${id}`), 404)
      expect(resourcesOf(await scim.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`))).to
        .be.empty
    })
  })
}

/** Okta (AIW and OIN forms) through the Torii connection (IDP-BEHAVIOR.md). */
describe('Okta through Torii', () => {
  let products: ProductGateway
  let scim: ScimClient
  let id = ''
  const password = '1mz050nq-never-sent'
  const oktaUser = (userName: string) => ({
    schemas: [USER],
    userName,
    name: { givenName: 'Test', familyName: 'User' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Test User',
    locale: 'en-US',
    externalId: '00ujl29u0le5T6Aj10h7',
    groups: [],
    password,
    active: true,
  })
  const noPasswordSent = async () => {
    const bodies = JSON.stringify((await simRequests(products.torii)).map((r) => r.body))
    expect(bodies).to.not.contain(password).and.not.contain('"password"')
  }

  before(async () => {
    products = await startProducts()
    scim = scimClient({
      baseUrl: products.started.scimUrl,
      token: await products.started.token('demo', 'torii'),
      userAgent: 'Okta SCIM Client 1.0.0',
      contentType: 'application/json',
    })
  })
  after(() => products.close())
  beforeEach(() => clearRequests(products.torii))

  it('looks the user up (200, totalResults 0) and creates it from application/json', async () => {
    const lookup = await scim.get(
      `/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100`,
    )
    expect(objectOf(lookup)).to.include({ totalResults: 0, startIndex: 1, itemsPerPage: 0 })
    const res = await scim.post('/Users', {
      ...oktaUser('test.user@okta.local'),
      userType: 'Read-only',
    })
    expect(res.status).to.equal(201)
    id = objectOf(res).id as string
    expect(objectOf(res)).to.not.have.property('password')
    expect(objectOf(await scim.get(`/Users/${id}`))).to.not.have.property('password')
    expect(await toriiUser(products.torii, id)).to.deep.include({
      userName: 'test.user@okta.local',
      role: 'Read-only',
      active: true,
    })
    expect(await sentLines(products.torii)).to.deep.equal([`POST ${TORII_USERS}`])
    await noPasswordSent()
  })

  it('answers a duplicate create with 409 uniqueness, sending nothing to Torii', async () => {
    expectScimError(await scim.post('/Users', oktaUser('TEST.USER@okta.local')), 409, 'uniqueness')
    expect(await sentLines(products.torii)).to.deep.equal([])
    expect(await toriiUsers(products.torii)).to.have.length(1)
  })

  it('updates with GET then PUT (AIW): names change, the role stays without userType', async () => {
    // Okta's profile has no userType: JSON.stringify leaves an undefined value out.
    const current = { ...objectOf(await scim.get(`/Users/${id}`)), userType: undefined }
    const res = await scim.put(`/Users/${id}`, {
      ...current,
      name: { givenName: 'Another', familyName: 'Person' },
      password,
    })
    expect(objectOf(res)).to.deep.include({
      id,
      name: { givenName: 'Another', familyName: 'Person' },
      userType: 'Read-only',
    })
    expect(objectOf(res)).to.not.have.property('password')
    expect(await toriiUser(products.torii, id)).to.deep.include({
      givenName: 'Another',
      familyName: 'Person',
      role: 'Read-only',
    })
    expect(await sentLines(products.torii)).to.deep.equal([`PATCH ${TORII_USERS}/${id}`])
    await noPasswordSent()
  })

  it('deactivates with a path-less replace {active:false}; the user stays readable', async () => {
    const res = await scim.patch(
      `/Users/${id}`,
      patchOf({ op: 'replace', value: { active: false } }),
    )
    expect(res.status).to.be.oneOf([200, 204])
    expect((await toriiUser(products.torii, id))?.active).to.equal(false)
    expect(objectOf(await scim.get(`/Users/${id}`))).to.include({ id, active: false })
    expect(await sentLines(products.torii)).to.deep.equal([`PATCH ${TORII_USERS}/${id}`])
  })

  it('pages over 25 users with startIndex/count, without overlap, inactive ones included', async () => {
    for (let i = 0; i < 24; i++) {
      const userName = `pager${String(i).padStart(2, '0')}@okta.local`
      expect((await scim.post('/Users', oktaUser(userName))).status).to.equal(201)
    }
    const seen: string[] = []
    for (let start = 1; start <= 25; start += 10) {
      const page = objectOf(await scim.get(`/Users?startIndex=${start}&count=10`))
      expect(page).to.include({ totalResults: 25, startIndex: start })
      const resources = page.Resources as { id: string }[]
      expect(page.itemsPerPage).to.equal(resources.length)
      seen.push(...resources.map((r) => r.id))
    }
    expect(seen).to.have.length(25)
    expect(new Set(seen).size).to.equal(25)
    expect(seen).to.include(id)
    // Torii itself holds all 25, but would list only the 24 active ones.
    const held = await toriiUsers(products.torii)
    expect(held.map((u) => String(u.id)).sort()).to.deep.equal([...seen].sort())
    expect(held.filter((u) => u.active)).to.have.length(24)
    await noPasswordSent()
  })
})
