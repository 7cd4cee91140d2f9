import { expect } from 'chai'
import type { SimulatorHandle } from '../../src/simulators/common/start.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import { createGroup, createUser, GROUP, patchOf, USER } from '../helpers/scim-fixtures.ts'
import { startChildGateway, type ChildGateway } from '../helpers/child-gateway.ts'
import { ADMIN_TOKEN } from '../helpers/start-gateway.ts'
import {
  startGroupProducts,
  type GroupProductGateway,
  type StartGroupProductsOptions,
} from '../helpers/start-group-products.ts'
import { simRequests, simState } from '../helpers/start-products.ts'

interface Membership {
  id: string
  userId: string
  role: string
  status: 'invited' | 'accepted'
  isActive: boolean
  externalId: string | null
}
interface InfisicalState {
  memberships: Membership[]
  users: { id: string; email: string }[]
  groups: { id: string; displayName: string; members: string[] }[]
  emails: { to: string; subject: string }[]
}

const membership = async (sim: SimulatorHandle, id: string) =>
  (await simState<InfisicalState>(sim)).memberships.find((m) => m.id === id)
const simGroup = async (sim: SimulatorHandle, name: string) =>
  (await simState<InfisicalState>(sim)).groups.find((g) => g.displayName === name)
const setOrg = (sim: SimulatorHandle, change: Record<string, unknown>) =>
  fetch(`${sim.url}/_sim/org`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(change),
  })
const completeSetup = (sim: SimulatorHandle, id: string) =>
  fetch(`${sim.url}/_sim/users/${id}/complete-setup`, { method: 'POST' })

const member = (email: string, given = 'Ina', family = 'Example') => ({
  name: { givenName: given, familyName: family },
  emails: [{ primary: true, type: 'work', value: email }],
})

async function connectionStatus(products: GroupProductGateway) {
  const body = (await fetch(`${products.started.origin}/admin/api/connections`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  }).then((r) => r.json())) as {
    connections: {
      connection: string
      misconfigured?: { reason: string }
      productStates: Record<string, number>
    }[]
  }
  const found = body.connections.find((c) => c.connection === 'infisical')
  if (!found) throw new Error('no infisical connection in /admin/api/connections')
  return found
}

async function start(options: StartGroupProductsOptions = {}) {
  const products = await startGroupProducts(options)
  const scim = scimClient({ baseUrl: products.started.scimUrl, token: products.tokens.infisical })
  return { products, scim }
}

describe('Infisical connector: users', () => {
  let products: GroupProductGateway
  let scim: ScimClient
  let sim: SimulatorHandle

  before(async () => {
    ;({ products, scim } = await start())
    sim = products.infisical
  })
  after(() => products.close())

  it('answers 201 where Infisical answers 200, keeps its membership id, and records the member as invited', async () => {
    const user = await createUser(scim, 'ina@example.com', member('ina@example.com'))
    const held = await membership(sim, user.id as string)
    expect(held).to.deep.include({ status: 'invited', isActive: true, role: 'member' })
    expect((await simRequests(sim)).find((r) => r.method === 'POST')?.status).to.equal(200)
    expect((await simState<InfisicalState>(sim)).emails.map((e) => e.to)).to.include(
      'ina@example.com',
    )
    expect((await connectionStatus(products)).productStates).to.deep.equal({ invited: 1 })
    const events = (await fetch(
      `${products.started.origin}/admin/api/tenants/demo/connections/infisical/events`,
      { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
    ).then((r) => r.json())) as { events: { outcome: string }[] }
    expect(events.events.map((e) => e.outcome)).to.include('invited')
    const overview = (await fetch(`${products.started.origin}/admin/api/overview`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((r) => r.json())) as {
      connections: { connection: string; warnings: string[]; productStates: object }[]
    }
    const shown = overview.connections.find((c) => c.connection === 'infisical')
    expect(shown?.productStates).to.deep.equal({ invited: 1 })
    expect(shown?.warnings).to.include(
      '1 users invited, not yet through account setup in the product',
    )
  })

  it('clears the invited state once the member finishes account setup (membership API, outbox)', async () => {
    const user = await createUser(scim, 'setup@example.com', member('setup@example.com'))
    expect((await connectionStatus(products)).productStates.invited).to.equal(2)
    await completeSetup(sim, user.id as string)
    let invited = 2
    for (let i = 0; i < 200 && invited === 2; i++) {
      await new Promise((r) => setTimeout(r, 50))
      invited = (await connectionStatus(products)).productStates.invited ?? 0
    }
    expect(invited).to.equal(1)
  })

  it('refuses a user without a primary email before calling Infisical', async () => {
    const before = (await simRequests(sim)).length
    const res = await scim.post('/Users', {
      schemas: [USER],
      userName: 'noemail@example.com',
      emails: [{ type: 'work', value: 'noemail@example.com' }],
    })
    expectScimError(res, 400, 'invalidValue')
    expect(objectOf(res).detail).to.match(/primary/)
    expect((await simRequests(sim)).length).to.equal(before)
  })

  it('deactivates on active false and, by default, on DELETE (204), keeping the membership', async () => {
    const user = await createUser(scim, 'keep@example.com', member('keep@example.com'))
    const id = user.id as string
    await scim.patch(`/Users/${id}`, patchOf({ op: 'replace', path: 'active', value: false }))
    expect(await membership(sim, id)).to.deep.include({ isActive: false })
    await scim.patch(`/Users/${id}`, patchOf({ op: 'replace', path: 'active', value: true }))
    expect((await scim.delete(`/Users/${id}`)).status).to.equal(204)
    expect((await scim.get(`/Users/${id}`)).status).to.equal(404)
    expect(await membership(sim, id)).to.deep.include({ isActive: false })
  })

  it('lists the true total where Infisical reports the page size as totalResults', async () => {
    for (let i = 0; i < 12; i++)
      await createUser(scim, `page${i}@example.com`, member(`page${i}@example.com`))
    const upstream = (await fetch(`${sim.url}/api/v1/scim/Users?startIndex=1&count=5`, {
      headers: { authorization: `Bearer ${sim.credential}` },
    }).then((r) => r.json())) as { totalResults: number }
    expect(upstream.totalResults).to.equal(5)
    const res = objectOf(await scim.get('/Users?startIndex=1&count=5'))
    expect((res.Resources as unknown[]).length).to.equal(5)
    // ina, setup and these twelve; keep@ was deleted.
    expect(res.totalResults).to.equal(14)
  })
})

describe('Infisical connector: preconditions and delete policy', () => {
  let products: GroupProductGateway
  let scim: ScimClient

  afterEach(() => products.close())

  it('turns each missing precondition into a clear 403 and marks the connection misconfigured', async () => {
    ;({ products, scim } = await start())
    const sim = products.infisical
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ plan: { scim: false, groups: true } }, /plan must include SCIM/],
      [{ scimEnabled: false }, /turn on SCIM provisioning/],
      [{ authMethod: null }, /single sign-on/],
    ]
    for (const [change, need] of cases) {
      await setOrg(sim, {
        plan: { scim: true, groups: true },
        scimEnabled: true,
        authMethod: 'saml',
      })
      await setOrg(sim, change)
      const res = await scim.post('/Users', {
        schemas: [USER],
        userName: 'pre@example.com',
        ...member('pre@example.com'),
      })
      expectScimError(res, 403)
      expect(objectOf(res).detail).to.match(need)
      expect((await connectionStatus(products)).misconfigured?.reason).to.match(need)
    }
    await setOrg(sim, { plan: { scim: true, groups: true }, scimEnabled: true, authMethod: 'saml' })
    await createUser(scim, 'pre@example.com', member('pre@example.com'))
    expect((await connectionStatus(products)).misconfigured).to.equal(undefined)
  })

  it('deletes the membership upstream only with deletePolicy hard', async () => {
    ;({ products, scim } = await start({ infisicalConnection: '    deletePolicy: hard' }))
    const user = await createUser(scim, 'gone@example.com', member('gone@example.com'))
    expect((await scim.delete(`/Users/${user.id as string}`)).status).to.equal(204)
    expect(await membership(products.infisical, user.id as string)).to.equal(undefined)
  })

  it('leaves invited users pending when the connection has no membership read credential', async () => {
    ;({ products, scim } = await start({ membershipToken: false }))
    const user = await createUser(scim, 'wait@example.com', member('wait@example.com'))
    await completeSetup(products.infisical, user.id as string)
    await new Promise((r) => setTimeout(r, 1500))
    expect((await connectionStatus(products)).productStates).to.deep.equal({ invited: 1 })
  })
})

describe('Infisical connector: groups', () => {
  let products: GroupProductGateway
  let scim: ScimClient
  let sim: SimulatorHandle
  const ids: Record<string, string> = {}

  before(async () => {
    ;({ products, scim } = await start({
      infisical: { groupRoleMappings: { 'Infisical-Admins': 'admin' } },
    }))
    sim = products.infisical
    for (const name of ['amy', 'bob', 'cat'])
      ids[name] = (await createUser(scim, `${name}@example.com`, member(`${name}@example.com`)))
        .id as string
  })
  after(() => products.close())

  it('keeps Infisical’s group ids and member ids, and refuses a duplicate name with 409', async () => {
    const group = await createGroup(scim, 'Engineers', [ids.amy ?? ''])
    const held = await simGroup(sim, 'Engineers')
    expect(held?.id).to.equal(group.id)
    expect(held?.members).to.deep.equal([ids.amy])
    const again = await scim.post('/Groups', { schemas: [GROUP], displayName: 'Engineers' })
    expectScimError(again, 409, 'uniqueness')
  })

  it('sends Entra’s member changes, both remove dialects, a rename and a delete', async () => {
    const group = await createGroup(scim, 'Entra-Group')
    const id = group.id as string
    const add = await scim.patch(
      `/Groups/${id}`,
      patchOf({
        op: 'Add',
        path: 'members',
        value: [ids.amy, ids.bob, ids.cat].map((value) => ({ $ref: null, value })),
      }),
    )
    expect(add.status).to.equal(204)
    expect((await simGroup(sim, 'Entra-Group'))?.members).to.have.members([
      ids.amy,
      ids.bob,
      ids.cat,
    ])
    await scim.patch(
      `/Groups/${id}`,
      patchOf({ op: 'remove', path: `members[value eq "${ids.amy}"]` }),
    )
    await scim.patch(
      `/Groups/${id}`,
      patchOf({ op: 'Remove', path: 'members', value: [{ value: ids.bob }] }),
    )
    expect((await simGroup(sim, 'Entra-Group'))?.members).to.deep.equal([ids.cat])
    await scim.patch(
      `/Groups/${id}`,
      patchOf({ op: 'Replace', path: 'displayName', value: 'Entra-Renamed' }),
    )
    expect((await simGroup(sim, 'Entra-Renamed'))?.id).to.equal(id)
    expect(objectOf(await scim.get(`/Groups/${id}`)).displayName).to.equal('Entra-Renamed')
    expect((await scim.delete(`/Groups/${id}`)).status).to.equal(204)
    expect(await simGroup(sim, 'Entra-Renamed')).to.equal(undefined)
    expect((await scim.get(`/Groups/${id}`)).status).to.equal(404)
  })

  it('takes Okta’s group push: members added and removed in one PATCH, the path-less rename, PUT', async () => {
    const okta = scimClient({
      baseUrl: products.started.scimUrl,
      token: products.tokens.infisical,
      contentType: 'application/json',
      userAgent: 'Okta SCIM Client 1.0.0',
    })
    const created = objectOf(
      await okta.post('/Groups', { schemas: [GROUP], displayName: 'Okta-Push', members: [] }),
    )
    const id = created.id as string
    await okta.patch(
      `/Groups/${id}`,
      patchOf({
        op: 'add',
        path: 'members',
        value: [{ value: ids.amy, display: 'amy@example.com' }],
      }),
    )
    const mixed = await okta.patch(
      `/Groups/${id}`,
      patchOf(
        { op: 'remove', path: `members[value eq "${ids.amy}"]` },
        { op: 'add', path: 'members', value: [{ value: ids.bob, display: 'bob@example.com' }] },
        { op: 'replace', value: { id, displayName: 'Okta-Pushed' } },
      ),
    )
    expect(mixed.status).to.be.oneOf([200, 204])
    expect(await simGroup(sim, 'Okta-Pushed')).to.deep.include({ id, members: [ids.bob] })
    const put = await okta.put(`/Groups/${id}`, {
      schemas: [GROUP],
      id,
      displayName: 'Okta-Pushed',
      members: [{ value: ids.cat }],
    })
    expect(put.status).to.equal(200)
    expect((await simGroup(sim, 'Okta-Pushed'))?.members).to.deep.equal([ids.cat])
  })

  it('refuses a group as a member (Infisical groups hold users) and unknown members, changing nothing', async () => {
    const outer = await createGroup(scim, 'Outer')
    const inner = await createGroup(scim, 'Inner')
    const nested = await scim.patch(
      `/Groups/${outer.id as string}`,
      patchOf({ op: 'add', path: 'members', value: [{ value: inner.id }] }),
    )
    expectScimError(nested, 400, 'invalidValue')
    const unknown = await scim.patch(
      `/Groups/${outer.id as string}`,
      patchOf({ op: 'add', path: 'members', value: [{ value: 'no-such-member' }] }),
    )
    expectScimError(unknown, 404)
    expect((await simGroup(sim, 'Outer'))?.members).to.deep.equal([])
  })

  it('lets a group→role mapping apply only while the member is still invited', async () => {
    await completeSetup(sim, ids.cat ?? '')
    await createGroup(scim, 'Infisical-Admins', [ids.amy ?? '', ids.cat ?? ''])
    expect((await membership(sim, ids.amy ?? ''))?.role).to.equal('admin')
    expect((await membership(sim, ids.cat ?? ''))?.role).to.equal('member')
  })
})

describe('Infisical connector: a group changed by two gateway processes at once', function () {
  this.timeout(60_000)
  let products: GroupProductGateway
  let child: ChildGateway | undefined

  after(async () => {
    await child?.stop()
    await products.close()
  })

  it('ends with Infisical holding the members the gateway stores', async () => {
    let scim: ScimClient
    ;({ products, scim } = await start())
    const sim = products.infisical
    child = await startChildGateway({ ...products.started.childEnv, LOG_LEVEL: 'warn' })
    const other = scimClient({ baseUrl: child.scimUrl, token: products.tokens.infisical })
    const ids: string[] = []
    for (let i = 0; i < 12; i++)
      ids.push(
        (await createUser(scim, `race${i}@example.com`, member(`race${i}@example.com`)))
          .id as string,
      )
    const group = await createGroup(scim, 'Raced')
    const id = group.id as string
    // Both processes change the group from the same version, pinned with If-Match: one wins,
    // the other answers 412 after Infisical already took its member set.
    let refused = 0
    const statuses: number[] = []
    for (let round = 0; round < 6; round++) {
      const version = (objectOf(await scim.get(`/Groups/${id}`)).meta as { version: string })
        .version
      const answers = await Promise.all(
        [scim, other].map((client, side) =>
          client.patch(
            `/Groups/${id}`,
            patchOf({ op: 'add', path: 'members', value: [{ value: ids[round * 2 + side] }] }),
            { 'if-match': version },
          ),
        ),
      )
      refused += answers.filter((a) => a.status === 412).length
      statuses.push(...answers.map((a) => a.status))
    }
    expect(refused).to.be.greaterThan(0)
    await products.drained()
    for (let i = 0; i < 100; i++) {
      const stored = (
        (objectOf(await scim.get(`/Groups/${id}`)).members ?? []) as {
          value: string
        }[]
      ).map((m) => m.value)
      const held = (await simGroup(sim, 'Raced'))?.members ?? []
      if (stored.length > 0 && [...stored].sort().join() === [...held].sort().join()) return
      await new Promise((r) => setTimeout(r, 100))
    }
    const stored = objectOf(await scim.get(`/Groups/${id}`)).members
    const jobs = await fetch(`${products.started.origin}/admin/api/outbox`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((r) => r.text())
    expect.fail(
      `Infisical and the gateway disagree on the group’s members: stored ${JSON.stringify(stored)}, Infisical ${JSON.stringify((await simGroup(sim, 'Raced'))?.members)}; outbox ${jobs}; answers ${JSON.stringify(statuses)}`,
    )
  })
})
