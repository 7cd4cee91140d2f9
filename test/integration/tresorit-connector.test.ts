import { expect } from 'chai'
import type { SimulatorHandle } from '../../src/simulators/index.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import {
  ENTERPRISE,
  GROUP,
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
  lastName: string
  status: string
  policyTemplate: string
  managedBy: string
  suspendedBy: string | null
}
interface ProductState {
  license: { total: number; used: number }
  users: ProductUser[]
}

const productUser = async (sim: SimulatorHandle, email: string) =>
  (await simState<ProductState>(sim)).users.find((u) => u.email === email)
const clearRequests = (sim: SimulatorHandle) =>
  fetch(`${sim.url}/_sim/requests`, { method: 'DELETE' }).then(() => undefined)
const simHook = (sim: SimulatorHandle, hook: string, email: string) =>
  fetch(`${sim.url}/_sim/${hook}/${encodeURIComponent(email)}`, { method: 'POST' })

async function startTresorit(options: StartProductsOptions = {}) {
  const products = await startProducts(options)
  const token = await products.started.token('demo', 'tresorit')
  return { products, scim: scimClient({ baseUrl: products.started.scimUrl, token }) }
}

/** PRODUCTS.md §4: the rules the Tresorit-like connector enforces, seen from SCIM and the product. */
describe('Tresorit-like connector: product rules', () => {
  let products: ProductGateway
  let scim: ScimClient
  let sim: SimulatorHandle
  const seeded = { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' }

  before(async () => {
    ;({ products, scim } = await startTresorit({ tresorit: { users: [seeded] } }))
    sim = products.tresorit
  })
  after(() => products.close())
  beforeEach(() => clearRequests(sim))

  it('creates by invitation with the Default template, holding the email lowercased while SCIM keeps the IdP spelling', async () => {
    const user = await createUser(scim, 'Ada@Example.com', {
      name: { givenName: 'Ada', familyName: 'Lovelace' },
    })
    expect(user.userName).to.equal('Ada@Example.com')
    expect(objectOf(await scim.get(`/Users/${user.id as string}`)).userName).to.equal(
      'Ada@Example.com',
    )
    expect(await productUser(sim, 'ada@example.com')).to.deep.include({
      firstName: 'Ada',
      lastName: 'Lovelace',
      status: 'invited',
      policyTemplate: 'Default',
      managedBy: 'scim',
    })
    const sent = await simRequests(sim)
    expect(sent.map((r) => [r.method, r.path, r.status])).to.deep.equal([
      ['POST', '/acme/admin/v1/users/invite', 201],
    ])
    expect(sent[0]?.body).to.deep.equal({
      email: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
    })
  })

  it('refuses a missing or non-email userName with 400 invalidValue and calls nothing', async () => {
    const missing = await scim.post('/Users', { schemas: [USER], name: { givenName: 'X' } })
    expectScimError(missing, 400, 'invalidValue')
    expect(objectOf(missing).detail).to.match(/userName/)
    const empty = await scim.post('/Users', { schemas: [USER], userName: '' })
    expectScimError(empty, 400, 'invalidValue')
    const notEmail = await scim.post('/Users', { schemas: [USER], userName: 'ada.lovelace' })
    expectScimError(notEmail, 400, 'invalidValue')
    expect(objectOf(notEmail).detail).to.equal(
      'Tresorit requires userName to be an email address (rule: format email)',
    )
    expect(await simRequests(sim)).to.deep.equal([])
    expect((await simState<ProductState>(sim)).users.map((u) => u.email)).to.not.include(
      'ada.lovelace',
    )
  })

  it('refuses a userName change by PATCH or PUT with 400 mutability and leaves the product untouched', async () => {
    const user = await createUser(scim, 'Immutable@Example.com')
    const id = user.id as string
    await clearRequests(sim)
    const patched = await scim.patch(
      `/Users/${id}`,
      patchOf({ op: 'replace', path: 'userName', value: 'other@example.com' }),
    )
    expectScimError(patched, 400, 'mutability')
    expect(objectOf(patched).detail).to.equal(
      'userName cannot be changed in Tresorit (rule: immutable)',
    )
    const put = await scim.put(`/Users/${id}`, { schemas: [USER], userName: 'other@example.com' })
    expectScimError(put, 400, 'mutability')
    expect(await simRequests(sim)).to.deep.equal([])
    expect(await productUser(sim, 'other@example.com')).to.equal(undefined)
    expect(await productUser(sim, 'immutable@example.com')).to.deep.include({ status: 'invited' })
    expect(objectOf(await scim.get(`/Users/${id}`)).userName).to.equal('Immutable@Example.com')
  })

  it('treats a case-only userName change as no change: 2xx and nothing sent', async () => {
    const user = await createUser(scim, 'Case@Example.com')
    await clearRequests(sim)
    const res = await scim.patch(
      `/Users/${user.id as string}`,
      patchOf({ op: 'replace', path: 'userName', value: 'CASE@example.com' }),
    )
    expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 204])
    expect(await simRequests(sim)).to.deep.equal([])
    expect(
      (await simState<ProductState>(sim)).users.filter((u) => /^case@/.test(u.email)),
    ).to.have.length(1)
  })

  it('accepts a later name change, keeps it, never sends it and logs it as ignored (writeOnCreateOnly)', async () => {
    const user = await createUser(scim, 'Names@Example.com', {
      name: { givenName: 'Old', familyName: 'Name' },
    })
    const id = user.id as string
    await clearRequests(sim)
    const res = await scim.patch(
      `/Users/${id}`,
      patchOf({ op: 'replace', path: 'name.givenName', value: 'Renamed' }),
    )
    expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 204])
    // PUT with another name and active false: only the status goes to the product.
    const put = await scim.put(`/Users/${id}`, {
      schemas: [USER],
      userName: 'Names@Example.com',
      name: { givenName: 'Renamed', familyName: 'Changed' },
      active: false,
    })
    expect(put.status, JSON.stringify(put.body)).to.equal(200)
    expect(objectOf(await scim.get(`/Users/${id}`)).name).to.deep.equal({
      givenName: 'Renamed',
      familyName: 'Changed',
    })
    const sent = await simRequests(sim)
    expect(sent.map((r) => [r.method, r.body])).to.deep.equal([['PATCH', { status: 'suspended' }]])
    expect(await productUser(sim, 'names@example.com')).to.deep.include({
      firstName: 'Old',
      lastName: 'Name',
      status: 'suspended',
    })
    const events = await products.started.gateway.events.list({
      tenant: 'demo',
      connection: 'tresorit',
      limit: 50,
    })
    const updates = events.filter((e) => e.subject === 'Names@Example.com' && e.status < 300)
    const ignored = updates.flatMap((e) => e.ignored)
    expect(ignored).to.deep.include({ attribute: 'name.givenName', rule: 'writeOnCreateOnly' })
    expect(ignored).to.deep.include({ attribute: 'name.familyName', rule: 'writeOnCreateOnly' })
  })

  it('keeps attributes the product does not take (title, enterprise department) and sends none of them', async () => {
    const user = await createUser(scim, 'Kept@Example.com', { title: 'Engineer' })
    const id = user.id as string
    expect((await simRequests(sim))[0]?.body).to.deep.equal({ email: 'kept@example.com' })
    await clearRequests(sim)
    const res = await scim.patch(
      `/Users/${id}`,
      patchOf(
        { op: 'replace', path: 'title', value: 'Architect' },
        { op: 'add', path: `${ENTERPRISE}:department`, value: 'Research' },
      ),
    )
    expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 204])
    const read = objectOf(await scim.get(`/Users/${id}`))
    expect(read.title).to.equal('Architect')
    expect(read[ENTERPRISE]).to.deep.equal({ department: 'Research' })
    expect(await simRequests(sim)).to.deep.equal([])
  })

  it('suspends on active false and unsuspends on active true; an invitee stays invited', async () => {
    const user = await createUser(scim, 'Toggle@Example.com')
    const id = user.id as string
    const set = (value: boolean) =>
      scim.patch(`/Users/${id}`, patchOf({ op: 'replace', path: 'active', value }))
    expect((await set(false)).status).to.be.oneOf([200, 204])
    expect(objectOf(await scim.get(`/Users/${id}`)).active).to.equal(false)
    expect(await productUser(sim, 'toggle@example.com')).to.deep.include({
      status: 'suspended',
      suspendedBy: 'scim',
    })
    expect((await set(true)).status).to.be.oneOf([200, 204])
    expect(objectOf(await scim.get(`/Users/${id}`)).active).to.equal(true)
    // Unsuspending does not accept the invitation on the invitee's behalf.
    expect(await productUser(sim, 'toggle@example.com')).to.deep.include({
      status: 'invited',
      suspendedBy: null,
    })
    await simHook(sim, 'accept-invite', 'toggle@example.com')
    await set(false)
    await set(true)
    expect(await productUser(sim, 'toggle@example.com')).to.deep.include({ status: 'active' })
  })

  it('does not flip SCIM active when an admin suspends the user inside the product', async () => {
    const user = await createUser(scim, 'Admin.Suspended@Example.com', { active: true })
    expect((await simHook(sim, 'admin-suspend', 'admin.suspended@example.com')).status).to.equal(
      200,
    )
    expect(await productUser(sim, 'admin.suspended@example.com')).to.deep.include({
      status: 'suspended',
      suspendedBy: 'admin',
    })
    expect(objectOf(await scim.get(`/Users/${user.id as string}`)).active).to.equal(true)
    const found = resourcesOf(
      await scim.get(`/Users?${filterQuery('userName eq "admin.suspended@example.com"')}`),
    )
    expect(found.map((r) => r.active)).to.deep.equal([true])
  })

  it('removes from the subscription on DELETE (204, licence freed, then 404); a later create re-invites', async () => {
    const user = await createUser(scim, 'Leaver@Example.com')
    const id = user.id as string
    const used = (await simState<ProductState>(sim)).license.used
    await clearRequests(sim)
    expect((await scim.delete(`/Users/${id}`)).status).to.equal(204)
    expectScimError(await scim.get(`/Users/${id}`), 404)
    const state = await simState<ProductState>(sim)
    expect(state.license.used).to.equal(used - 1)
    expect(state.users.find((u) => u.email === 'leaver@example.com')?.status).to.equal('removed')
    expect((await simRequests(sim)).map((r) => [r.method, r.path])).to.deep.equal([
      ['POST', '/acme/admin/v1/users/leaver%40example.com/remove'],
    ])
    const again = await createUser(scim, 'Leaver@Example.com')
    expect(objectOf(await scim.get(`/Users/${again.id as string}`)).userName).to.equal(
      'Leaver@Example.com',
    )
    expect(await productUser(sim, 'leaver@example.com')).to.deep.include({ status: 'invited' })
    expect((await simState<ProductState>(sim)).license.used).to.equal(used)
  })

  it('has no groups: /Groups answers 404 with a clear detail; discovery does not advertise Group', async () => {
    for (const res of [
      await scim.get('/Groups'),
      await scim.post('/Groups', { schemas: [GROUP], displayName: 'Engineering' }),
    ]) {
      expectScimError(res, 404)
      expect(objectOf(res).detail).to.equal('Groups are not supported by connection tresorit')
    }
    expect(resourcesOf(await scim.get('/ResourceTypes')).map((r) => r.id)).to.deep.equal(['User'])
    const schemas = resourcesOf(await scim.get('/Schemas')).map((r) => r.id)
    expect(schemas).to.include(USER).and.not.include(GROUP)
    expect(await simRequests(sim)).to.deep.equal([])
  })

  it('adopts a user the product already has on create (201, no second invite)', async () => {
    const user = await createUser(scim, 'Grace@Example.com', { active: true })
    expect(user.userName).to.equal('Grace@Example.com')
    const invites = (await simRequests(sim)).filter((r) => r.path.endsWith('/users/invite'))
    expect(invites.map((r) => r.status)).to.deep.equal([409])
    const graces = (await simState<ProductState>(sim)).users.filter((u) => /^grace@/.test(u.email))
    expect(graces).to.have.length(1)
    expect(graces[0]).to.deep.include({ status: 'active', managedBy: 'manual', firstName: 'Grace' })
  })
})
