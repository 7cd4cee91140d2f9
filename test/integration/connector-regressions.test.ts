import { expect } from 'chai'
import { createLinkClaims } from '../../src/store/link-claims.ts'
import { keysOf, type Link } from '../../src/store/links.ts'
import { objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import { USER, patchOf } from '../helpers/scim-fixtures.ts'
import {
  simFault,
  simRequests,
  simState,
  startProducts,
  type ProductGateway,
} from '../helpers/start-products.ts'

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

interface ToriiState {
  users: { id: number; userName: string; role: string; active: boolean }[]
}

describe('connector engine regressions', () => {
  let products: ProductGateway
  let torii: ScimClient
  let tresorit: ScimClient

  before(async () => {
    products = await startProducts()
    torii = scimClient({
      baseUrl: products.started.scimUrl,
      token: await products.started.token('demo', 'torii'),
    })
    tresorit = scimClient({
      baseUrl: products.started.scimUrl,
      token: await products.started.token('demo', 'tresorit'),
    })
  })
  after(() => products.close())

  const eventsFor = async (connection: string) =>
    products.started.gateway.events.list({ tenant: 'demo', connection, limit: 50 })

  it('keeps attributes Torii does not hold in the view, sends nothing for them, and logs them as ignored', async () => {
    const created = objectOf(
      await torii.post('/Users', {
        schemas: [USER],
        userName: 'held@acme.example',
        title: 'Engineer',
      }),
    )
    const id = created.id as string
    expect(created.title).to.equal('Engineer')
    const before = (await simRequests(products.torii)).length
    const res = await torii.patch(
      `/Users/${id}`,
      patchOf(
        { op: 'Replace', path: 'displayName', value: 'Held User' },
        { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Sales' },
      ),
    )
    expect(res.status).to.be.oneOf([200, 204])
    expect((await simRequests(products.torii)).length).to.equal(before)
    const user = objectOf(await torii.get(`/Users/${id}`))
    expect(user.displayName).to.equal('Held User')
    expect((user[ENTERPRISE] as Record<string, unknown>).department).to.equal('Sales')
    const posted = (await simRequests(products.torii)).find((r) => r.method === 'POST')
    expect(JSON.stringify(posted?.body)).to.not.include('Engineer')
    const events = await eventsFor('torii')
    const patchEvent = events.find((e) => e.method === 'PATCH' && e.resourceId === id)
    expect(patchEvent?.ignored.map((i) => i.attribute).sort()).to.deep.equal([
      'displayName',
      `${ENTERPRISE}:department`,
    ])
    const createEvent = events.find((e) => e.method === 'POST' && e.resourceId === id)
    expect(createEvent?.resourceType).to.equal('User')
    expect(createEvent?.ignored).to.deep.equal([{ attribute: 'title', rule: 'notSentByConnector' }])
  })

  it('keeps the Torii role when an update sends userType empty', async () => {
    const created = objectOf(
      await torii.post('/Users', {
        schemas: [USER],
        userName: 'role@acme.example',
        userType: 'IT Admin',
      }),
    )
    const res = await torii.put(`/Users/${created.id as string}`, {
      schemas: [USER],
      userName: 'role@acme.example',
      userType: '',
    })
    expect(objectOf(res).userType).to.equal('IT Admin')
    const state = await simState<ToriiState>(products.torii)
    expect(state.users.find((u) => u.userName === 'role@acme.example')?.role).to.equal('IT Admin')
  })

  it('records the resource of successful writes in the provisioning log', async () => {
    const created = objectOf(
      await tresorit.post('/Users', { schemas: [USER], userName: 'logged@example.com' }),
    )
    const id = created.id as string
    await tresorit.patch(`/Users/${id}`, patchOf({ op: 'replace', path: 'active', value: false }))
    await tresorit.delete(`/Users/${id}`)
    const events = (await eventsFor('tresorit')).filter((e) => e.resourceId === id)
    expect(events.map((e) => [e.method, e.resourceType, e.outcome])).to.deep.equal([
      ['DELETE', 'User', 'removed'],
      ['PATCH', 'User', 'updated'],
      ['POST', 'User', 'created'],
    ])
  })

  it('settles a stale pending user on update: confirmed when the product has it', async () => {
    const links = products.started.gateway.db('links')
    const created = objectOf(
      await tresorit.post('/Users', { schemas: [USER], userName: 'stale@example.com' }),
    )
    const id = created.id as string
    // As a crash between the product's answer and the confirmation would leave it.
    await links
      .clone()
      .where({ id })
      .update({ state: 'pending', native_id: null, updated_at: new Date(0).toISOString() })
    const res = await tresorit.patch(
      `/Users/${id}`,
      patchOf({ op: 'replace', path: 'active', value: false }),
    )
    expect(res.status).to.be.oneOf([200, 204])
    const [row] = (await links.clone().where({ id })) as { state: string; native_id: string }[]
    expect(row).to.include({ state: 'active', native_id: 'stale@example.com' })
    const state = await simState<{ users: { email: string; status: string }[] }>(products.tresorit)
    expect(state.users.find((u) => u.email === 'stale@example.com')?.status).to.equal('suspended')
  })

  it('deletes a stale pending user the product never got without calling the product', async () => {
    const links = products.started.gateway.db('links')
    const at = new Date(0).toISOString()
    await links.clone().insert({
      connection_key: 'demo/tresorit',
      resource_type: 'User',
      id: 'never-landed',
      native_id: null,
      user_name: 'ghost@example.com',
      user_name_lower: 'ghost@example.com',
      state: 'pending',
      scim: JSON.stringify({ userName: 'ghost@example.com' }),
      version: 1,
      created_at: at,
      updated_at: at,
    })
    const before = (await simRequests(products.tresorit)).filter((r) => r.method !== 'GET').length
    expect((await tresorit.delete('/Users/never-landed')).status).to.equal(204)
    expect((await tresorit.get('/Users/never-landed')).status).to.equal(404)
    expect(
      (await simRequests(products.tresorit)).filter((r) => r.method !== 'GET').length,
    ).to.equal(before)
    expect(await links.clone().where({ id: 'never-landed' })).to.deep.equal([])
  })
})

describe('claims held by version', () => {
  let products: ProductGateway

  before(async () => {
    products = await startProducts()
  })
  after(() => products.close())

  it('never lets a stale holder release a claim another request took over, and never loses a confirmed create', async () => {
    const db = products.started.gateway.db
    const claims = createLinkClaims(db)
    const at = new Date().toISOString()
    const link: Link = {
      connectionKey: 'demo/tresorit',
      resourceType: 'User',
      id: 'held-claim',
      nativeId: null,
      ...keysOf({ userName: 'held@example.com' }),
      state: 'pending',
      scim: { userName: 'held@example.com' },
      version: 1,
      createdAt: at,
      updatedAt: at,
    }
    await claims.claim(link)
    const taken = await claims.renew(link, new Date().toISOString())
    expect(taken?.version).to.equal(2)
    // The first holder's release no longer applies: the claim belongs to the second now.
    await claims.release(link, false, new Date().toISOString())
    expect(await db('links').where({ id: 'held-claim' })).to.have.length(1)
    expect(await claims.renew(link, new Date().toISOString())).to.equal(undefined)
    // A reconciliation released it; the second holder's product call still lands: re-linked.
    await claims.release(taken as Link, false, new Date().toISOString())
    const confirmed = await claims.confirm(
      taken as Link,
      'held@example.com',
      link.scim,
      new Date().toISOString(),
    )
    expect(confirmed.state).to.equal('active')
    const rows = (await db('links').where({ id: 'held-claim' })) as {
      state: string
      native_id: string
    }[]
    expect(rows).to.deep.equal([{ ...rows[0], state: 'active', native_id: 'held@example.com' }])
  })
})

describe('a create whose answer was lost', () => {
  let products: ProductGateway

  before(async () => {
    products = await startProducts()
  })
  after(() => products.close())

  it('queues the reconciliation of its claim, tied to the request in the provisioning log', async () => {
    const tresorit = scimClient({
      baseUrl: products.started.scimUrl,
      token: await products.started.token('demo', 'tresorit'),
    })
    await simFault(products.tresorit, { count: 1, drop: true })
    const res = await tresorit.post('/Users', { schemas: [USER], userName: 'lost@example.com' })
    expect(res.status).to.equal(502)
    const requestId = res.headers.get('x-request-id')
    const jobs = await products.started.gateway.outbox.list({ tenant: 'demo' })
    const job = jobs.find((j) => j.kind === 'reconcile-claim')
    expect(job?.requestId).to.equal(requestId)
    expect(job?.state).to.equal('queued')
  })
})
