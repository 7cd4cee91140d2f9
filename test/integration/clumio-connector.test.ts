import { expect } from 'chai'
import {
  CLUMIO_GLOBAL_OU_ID,
  clumioOrganizationalUnitId,
} from '../../src/simulators/clumio/organizational-units.ts'
import { CLUMIO_ROLE_IDS } from '../../src/simulators/clumio/roles.ts'
import type { SimulatorHandle } from '../../src/simulators/common/start.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import { createGroup, createUser, patchOf, GROUP } from '../helpers/scim-fixtures.ts'
import { runCli } from '../helpers/child-gateway.ts'
import { ADMIN_TOKEN } from '../helpers/start-gateway.ts'
import {
  startGroupProducts,
  type GroupProductGateway,
  type StartGroupProductsOptions,
} from '../helpers/start-group-products.ts'
import { simFault, simState } from '../helpers/start-products.ts'

interface Assignment {
  role_id: string
  organizational_unit_ids: string[]
}
interface ClumioUser {
  id: string
  email: string
  full_name: string
  is_enabled: boolean
  is_confirmed: boolean
  access_control_configuration: Assignment[]
}
interface ClumioState {
  users: ClumioUser[]
  invitations: { to: string }[]
}

const PROD = clumioOrganizationalUnitId(1)
const BACKUP_ON_PROD = { role_id: CLUMIO_ROLE_IDS.backupAdmin, organizational_unit_ids: [PROD] }
const SUPER_ON_GLOBAL = {
  role_id: CLUMIO_ROLE_IDS.superAdmin,
  organizational_unit_ids: [CLUMIO_GLOBAL_OU_ID],
}

const clumioUser = async (sim: SimulatorHandle, email: string) =>
  (await simState<ClumioState>(sim)).users.find((u) => u.email === email)
const accessOf = async (sim: SimulatorHandle, email: string) =>
  (await clumioUser(sim, email))?.access_control_configuration ?? []

/** Entra's member removal, both dialects: a filter path, or a value list. */
const removeByFilter = (id: string) => ({ op: 'remove', path: `members[value eq "${id}"]` })
const removeByValue = (ids: string[]) => ({
  op: 'Remove',
  path: 'members',
  value: ids.map((value) => ({ value })),
})
const addMembers = (ids: string[]) => ({
  op: 'Add',
  path: 'members',
  value: ids.map((value) => ({ value })),
})

async function start(options: StartGroupProductsOptions = {}) {
  const products = await startGroupProducts(options)
  const scim = scimClient({ baseUrl: products.started.scimUrl, token: products.tokens.clumio })
  return { products, scim }
}

const person = (given: string, family: string) => ({
  name: { givenName: given, familyName: family },
})

describe('Clumio connector: users', () => {
  let products: GroupProductGateway
  let scim: ScimClient
  let sim: SimulatorHandle

  before(async () => {
    ;({ products, scim } = await start())
    sim = products.clumio
  })
  after(() => products.close())

  it('creates by invitation: email lowercased, full name composed, enabled and not yet confirmed', async () => {
    const user = await createUser(scim, 'Ada@Example.com', person('Ada', 'Lovelace'))
    expect(user.userName).to.equal('Ada@Example.com')
    expect(await clumioUser(sim, 'ada@example.com')).to.deep.include({
      full_name: 'Ada Lovelace',
      is_enabled: true,
      is_confirmed: false,
    })
    expect((await simState<ClumioState>(sim)).invitations.map((i) => i.to)).to.include(
      'ada@example.com',
    )
  })

  it('refuses a change of email (Clumio has no email field to change): 400 mutability', async () => {
    const user = await createUser(scim, 'grace@example.com', person('Grace', 'Hopper'))
    const res = await scim.patch(
      `/Users/${user.id as string}`,
      patchOf({ op: 'replace', path: 'userName', value: 'grace.h@example.com' }),
    )
    expectScimError(res, 400, 'mutability')
    expect(await clumioUser(sim, 'grace.h@example.com')).to.equal(undefined)
  })

  it('sends a name change as full_name and active false as is_enabled false', async () => {
    const user = await createUser(scim, 'alan@example.com', person('Alan', 'Turing'))
    const res = await scim.patch(
      `/Users/${user.id as string}`,
      patchOf(
        { op: 'replace', path: 'name.familyName', value: 'Mathison-Turing' },
        { op: 'replace', path: 'active', value: false },
      ),
    )
    expect(res.status).to.be.oneOf([200, 204])
    expect(await clumioUser(sim, 'alan@example.com')).to.deep.include({
      full_name: 'Alan Mathison-Turing',
      is_enabled: false,
    })
  })

  it('disables on SCIM DELETE (deletePolicy deactivate), answers 204 then 404, and enables the same Clumio user on re-create', async () => {
    const user = await createUser(scim, 'edsger@example.com', person('Edsger', 'Dijkstra'))
    const before = await clumioUser(sim, 'edsger@example.com')
    expect((await scim.delete(`/Users/${user.id as string}`)).status).to.equal(204)
    expect((await scim.get(`/Users/${user.id as string}`)).status).to.equal(404)
    expect(await clumioUser(sim, 'edsger@example.com')).to.deep.include({ is_enabled: false })
    await createUser(scim, 'edsger@example.com', person('Edsger', 'Dijkstra'))
    const after = await clumioUser(sim, 'edsger@example.com')
    expect(after).to.deep.include({ id: before?.id, is_enabled: true })
  })

  it('adopts a user Clumio already has, found by paging its list (there is no email filter)', async () => {
    const seeds = Array.from({ length: 130 }, (_, i) => ({
      email: `seed${i}@example.com`,
      full_name: `Seed ${i}`,
    }))
    await products.close()
    ;({ products, scim } = await start({ clumio: { users: seeds } }))
    sim = products.clumio
    const user = await createUser(scim, 'Seed125@example.com', person('Seed', '125'))
    const held = await clumioUser(sim, 'seed125@example.com')
    expect(held?.full_name).to.equal('Seed 125')
    const linked = objectOf(await scim.get(`/Users/${user.id as string}`))
    expect(linked.userName).to.equal('Seed125@example.com')
    const users = (await simState<ClumioState>(sim)).users
    expect(users.filter((u) => u.email === 'seed125@example.com')).to.have.length(1)
  })
})

describe('Clumio connector: groups and access rules', () => {
  let products: GroupProductGateway
  let scim: ScimClient
  let sim: SimulatorHandle
  const ids: Record<string, string> = {}

  before(async () => {
    ;({ products, scim } = await start())
    sim = products.clumio
    for (const name of ['ana', 'ben', 'cy', 'dee', 'eve']) {
      ids[name] = (await createUser(scim, `${name}@example.com`, person(name, 'Example')))
        .id as string
    }
  })
  after(() => products.close())

  it('refuses a group named by a bare GUID, explaining the mailNickname mapping', async () => {
    const res = await scim.post('/Groups', {
      schemas: [GROUP],
      displayName: '6f1c1b36-6d35-4c2e-9a57-0a1f3f1e2d99',
    })
    expectScimError(res, 400, 'invalidValue')
    expect(objectOf(res).detail).to.match(/mailNickname/)
  })

  it('answers the IdP at once and grants the rule’s role on its units once the outbox drains', async () => {
    const group = await createGroup(scim, 'Backup-Ops')
    const res = await scim.patch(
      `/Groups/${group.id as string}`,
      patchOf(addMembers([ids.ana ?? '', ids.ben ?? '', ids.cy ?? ''])),
    )
    expect(res.status).to.equal(204)
    await products.drained()
    for (const name of ['ana', 'ben', 'cy'])
      expect(await accessOf(sim, `${name}@example.com`)).to.deep.equal([BACKUP_ON_PROD])
    expect(await accessOf(sim, 'dee@example.com')).to.deep.equal([])
  })

  it('removes the grant when Entra removes members, in both of its dialects', async () => {
    const group = objectOf(
      await scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "Backup-Ops"')}`),
    )
    const id = ((group.Resources as { id: string }[])[0] ?? { id: '' }).id
    expect(
      (await scim.patch(`/Groups/${id}`, patchOf(removeByFilter(ids.ana ?? '')))).status,
    ).to.equal(204)
    expect(
      (await scim.patch(`/Groups/${id}`, patchOf(removeByValue([ids.ben ?? ''])))).status,
    ).to.equal(204)
    await products.drained()
    expect(await accessOf(sim, 'ana@example.com')).to.deep.equal([])
    expect(await accessOf(sim, 'ben@example.com')).to.deep.equal([])
    expect(await accessOf(sim, 'cy@example.com')).to.deep.equal([BACKUP_ON_PROD])
  })

  it('re-evaluates every member on a rename and on delete', async () => {
    const group = await createGroup(scim, 'Helpdesk', [ids.dee ?? '', ids.eve ?? ''])
    const staff = await createGroup(scim, 'Staff', [ids.dee ?? ''])
    await products.drained()
    // allOf: only dee is in both groups.
    const helpdesk = { role_id: CLUMIO_ROLE_IDS.helpdeskAdmin, organizational_unit_ids: [PROD] }
    expect(await accessOf(sim, 'dee@example.com')).to.deep.equal([helpdesk])
    expect(await accessOf(sim, 'eve@example.com')).to.deep.equal([])
    const renamed = await scim.patch(
      `/Groups/${group.id as string}`,
      patchOf({ op: 'replace', path: 'displayName', value: 'Helpdesk-Old' }),
    )
    expect(renamed.status).to.equal(204)
    await products.drained()
    expect(await accessOf(sim, 'dee@example.com')).to.deep.equal([])
    await scim.patch(
      `/Groups/${group.id as string}`,
      patchOf({ op: 'replace', path: 'displayName', value: 'Helpdesk' }),
    )
    await products.drained()
    expect(await accessOf(sim, 'dee@example.com')).to.deep.equal([helpdesk])
    expect((await scim.delete(`/Groups/${staff.id as string}`)).status).to.equal(204)
    await products.drained()
    expect(await accessOf(sim, 'dee@example.com')).to.deep.equal([])
  })

  it('does not cascade through nested groups', async () => {
    const inner = await createGroup(scim, 'Nested-Inner', [ids.eve ?? ''])
    await createGroup(scim, 'Clumio-SuperAdmins', [inner.id as string])
    await products.drained()
    expect(await accessOf(sim, 'eve@example.com')).to.deep.equal([])
  })

  it('refuses a rename to a GUID and members from another connection, changing nothing', async () => {
    const group = await createGroup(scim, 'Plain')
    const guid = await scim.patch(
      `/Groups/${group.id as string}`,
      patchOf({
        op: 'replace',
        path: 'displayName',
        value: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      }),
    )
    expectScimError(guid, 400, 'invalidValue')
    const directory = scimClient({
      baseUrl: products.started.scimUrl,
      token: products.tokens.directory,
    })
    const stranger = await createUser(directory, 'stranger@example.com')
    const res = await scim.patch(
      `/Groups/${group.id as string}`,
      patchOf(addMembers([stranger.id as string])),
    )
    expectScimError(res, 404)
    expect(objectOf(res).detail).to.include(stranger.id)
    const read = objectOf(await scim.get(`/Groups/${group.id as string}`))
    expect(read.displayName).to.equal('Plain')
    expect(read.members ?? []).to.deep.equal([])
  })

  it('takes a deleted (disabled) user out of every group', async () => {
    const user = await createUser(scim, 'leaver@example.com', person('Leaver', 'Example'))
    const group = await createGroup(scim, 'Leavers', [user.id as string, ids.cy ?? ''])
    expect((await scim.delete(`/Users/${user.id as string}`)).status).to.equal(204)
    const read = objectOf(await scim.get(`/Groups/${group.id as string}`))
    expect((read.members as { value: string }[]).map((m) => m.value)).to.deep.equal([ids.cy])
  })

  it('takes duplicate members once and a removal of a non-member as a no-op', async () => {
    const group = await createGroup(scim, 'Dupes')
    expect(
      (
        await scim.patch(
          `/Groups/${group.id as string}`,
          patchOf(addMembers([ids.cy ?? '', ids.cy ?? '']), removeByFilter(ids.eve ?? '')),
        )
      ).status,
    ).to.equal(204)
    const read = objectOf(await scim.get(`/Groups/${group.id as string}`))
    expect((read.members as { value: string }[]).map((m) => m.value)).to.deep.equal([ids.cy])
  })
})

describe('Clumio connector: IdP group sequences', () => {
  let products: GroupProductGateway
  let scim: ScimClient
  let sim: SimulatorHandle

  before(async () => {
    ;({ products, scim } = await start())
    sim = products.clumio
  })
  after(() => products.close())

  it('follows Entra’s group cycle: create without members (Entra schemas), add several, remove in both dialects, rename, delete', async () => {
    const users: string[] = []
    for (const n of ['e1', 'e2', 'e3'])
      users.push((await createUser(scim, `${n}@example.com`, person(n, 'Entra'))).id as string)
    const created = await scim.post('/Groups', {
      schemas: [GROUP, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      externalId: '5e5b3c2a-0d3e-4d62-8f6b-aa0000000001',
      displayName: 'Backup-Ops',
      meta: { resourceType: 'Group' },
    })
    expect(created.status).to.equal(201)
    const id = objectOf(created).id as string
    const entra = scimClient({
      baseUrl: products.started.scimUrl,
      token: products.tokens.clumio,
      query: 'aadOptscim062020',
    })
    expect((await entra.patch(`/Groups/${id}`, patchOf(addMembers(users)))).status).to.equal(204)
    await products.drained()
    for (const n of ['e1', 'e2', 'e3'])
      expect(await accessOf(sim, `${n}@example.com`)).to.deep.equal([BACKUP_ON_PROD])
    await entra.patch(`/Groups/${id}`, patchOf(removeByFilter(users[0] ?? '')))
    await scim.patch(`/Groups/${id}`, patchOf(removeByValue([users[1] ?? ''])))
    await products.drained()
    expect(await accessOf(sim, 'e1@example.com')).to.deep.equal([])
    expect(await accessOf(sim, 'e2@example.com')).to.deep.equal([])
    expect(await accessOf(sim, 'e3@example.com')).to.deep.equal([BACKUP_ON_PROD])
    await entra.patch(
      `/Groups/${id}`,
      patchOf({ op: 'Replace', path: 'displayName', value: 'Backup-Ops-Old' }),
    )
    await products.drained()
    expect(await accessOf(sim, 'e3@example.com')).to.deep.equal([])
    await entra.patch(
      `/Groups/${id}`,
      patchOf({ op: 'Replace', path: 'displayName', value: 'Backup-Ops' }),
    )
    await products.drained()
    expect(await accessOf(sim, 'e3@example.com')).to.deep.equal([BACKUP_ON_PROD])
    expect((await entra.delete(`/Groups/${id}`)).status).to.equal(204)
    await products.drained()
    expect(await accessOf(sim, 'e3@example.com')).to.deep.equal([])
    expect((await entra.get(`/Groups/${id}?excludedAttributes=members`)).status).to.equal(404)
  })

  it('follows Okta’s group push: empty create, mixed member PATCH with the path-less rename, full PUT', async () => {
    const okta = scimClient({
      baseUrl: products.started.scimUrl,
      token: products.tokens.clumio,
      contentType: 'application/json',
      userAgent: 'Okta SCIM Client 1.0.0',
    })
    const a = (await createUser(okta, 'o1@example.com', person('O', 'One'))).id as string
    const b = (await createUser(okta, 'o2@example.com', person('O', 'Two'))).id as string
    const created = objectOf(
      await okta.post('/Groups', { schemas: [GROUP], displayName: 'Okta-Push', members: [] }),
    )
    const id = created.id as string
    await okta.patch(
      `/Groups/${id}`,
      patchOf({ op: 'add', path: 'members', value: [{ value: a, display: 'o1@example.com' }] }),
    )
    const mixed = await okta.patch(
      `/Groups/${id}`,
      patchOf(
        { op: 'remove', path: `members[value eq "${a}"]` },
        { op: 'add', path: 'members', value: [{ value: b, display: 'o2@example.com' }] },
        { op: 'replace', value: { id, displayName: 'Backup-Ops' } },
      ),
    )
    expect(mixed.status).to.be.oneOf([200, 204])
    await products.drained()
    expect(await accessOf(sim, 'o1@example.com')).to.deep.equal([])
    expect(await accessOf(sim, 'o2@example.com')).to.deep.equal([BACKUP_ON_PROD])
    const put = await okta.put(`/Groups/${id}`, {
      schemas: [GROUP],
      id,
      displayName: 'Backup-Ops',
      members: [{ value: a }],
    })
    expect(put.status).to.equal(200)
    await products.drained()
    expect(await accessOf(sim, 'o1@example.com')).to.deep.equal([BACKUP_ON_PROD])
    expect(await accessOf(sim, 'o2@example.com')).to.deep.equal([])
  })
})

describe('Clumio connector: guards and faults', () => {
  let products: GroupProductGateway
  let scim: ScimClient
  let sim: SimulatorHandle

  afterEach(() => products.close())

  it('never removes the last Super Admin, and says so in the job’s outcome', async () => {
    ;({ products, scim } = await start({ clumio: { users: [] } }))
    sim = products.clumio
    const user = await createUser(scim, 'root@example.com', person('Root', 'Admin'))
    const group = await createGroup(scim, 'Clumio-SuperAdmins', [user.id as string])
    await products.drained()
    expect(await accessOf(sim, 'root@example.com')).to.deep.equal([SUPER_ON_GLOBAL])
    await scim.patch(`/Groups/${group.id as string}`, patchOf(removeByFilter(user.id as string)))
    await products.drained()
    expect(await accessOf(sim, 'root@example.com')).to.deep.equal([SUPER_ON_GLOBAL])
    const events = await fetch(
      `${products.started.origin}/admin/api/tenants/demo/connections/clumio/events`,
      { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
    ).then((r) => r.json() as Promise<{ events: { detail: string | null }[] }>)
    expect(events.events.map((e) => e.detail).join('\n')).to.match(/kept Super Admin on Global/)
  })

  it('keeps the last enabled Super Admin when Clumio refuses the demotion, and still sends the grants that go with it', async () => {
    // A disabled Super Admin counts for the role filter but not for Clumio's own guard.
    const dormant = {
      email: 'dormant@example.com',
      full_name: 'Dormant Admin',
      is_enabled: false,
      access_control_configuration: [SUPER_ON_GLOBAL],
    }
    ;({ products, scim } = await start({ clumio: { users: [dormant] } }))
    sim = products.clumio
    const user = await createUser(scim, 'only@example.com', person('Only', 'Admin'))
    const group = await createGroup(scim, 'Clumio-SuperAdmins', [user.id as string])
    await products.drained()
    expect(await accessOf(sim, 'only@example.com')).to.deep.equal([SUPER_ON_GLOBAL])
    // One change that takes Super Admin away and gives Backup Admin: one job, one PATCH refused.
    await scim.patch(
      `/Groups/${group.id as string}`,
      patchOf({ op: 'replace', path: 'displayName', value: 'Backup-Ops' }),
    )
    await products.drained()
    expect(await accessOf(sim, 'only@example.com')).to.have.deep.members([
      SUPER_ON_GLOBAL,
      BACKUP_ON_PROD,
    ])
    const dead = (await fetch(`${products.started.origin}/admin/api/outbox?state=dead`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((r) => r.json())) as { jobs: unknown[] }
    expect(dead.jobs).to.deep.equal([])
  })

  it('reports the connection misconfigured while Clumio’s auto-user-provisioning is on, and applies the rules once it is off', async () => {
    ;({ products, scim } = await start({ clumio: { autoUserProvisioning: true } }))
    sim = products.clumio
    const user = await createUser(scim, 'aup@example.com', person('Aup', 'User'))
    await createGroup(scim, 'Backup-Ops', [user.id as string])
    let status: { misconfigured?: unknown; outbox: { queued: number } } | undefined
    for (let i = 0; i < 200 && !status?.misconfigured; i++) {
      await new Promise((r) => setTimeout(r, 50))
      const body = (await fetch(`${products.started.origin}/admin/api/connections`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      }).then((r) => r.json())) as {
        connections: { connection: string; misconfigured?: unknown; outbox: { queued: number } }[]
      }
      status = body.connections.find((c) => c.connection === 'clumio')
    }
    expect(JSON.stringify(status?.misconfigured)).to.match(/Auto user provisioning is enabled/)
    expect(status?.outbox.queued).to.equal(1)
    expect(await accessOf(sim, 'aup@example.com')).to.deep.equal([])
    const off = await fetch(`${sim.url}/settings/auto-user-provisioning`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${sim.credential}`,
        accept: 'application/api.clumio.auto-user-provisioning-settings=v1+json',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ is_enabled: false }),
    })
    expect(off.status).to.equal(200)
    const jobs = (await fetch(`${products.started.origin}/admin/api/outbox?state=queued`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((r) => r.json())) as { jobs: { id: number }[] }
    for (const job of jobs.jobs)
      await fetch(`${products.started.origin}/admin/api/outbox/${job.id}/retry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
    await products.drained()
    expect(await accessOf(sim, 'aup@example.com')).to.deep.equal([BACKUP_ON_PROD])
  })

  it('retries a rule whose application failed upstream: nothing is lost', async () => {
    ;({ products, scim } = await start())
    sim = products.clumio
    const a = await createUser(scim, 'f1@example.com', person('F', 'One'))
    const b = await createUser(scim, 'f2@example.com', person('F', 'Two'))
    await simFault(sim, { status: 503, count: 4 })
    await createGroup(scim, 'Backup-Ops', [a.id as string, b.id as string])
    await products.drained()
    expect(await accessOf(sim, 'f1@example.com')).to.deep.equal([BACKUP_ON_PROD])
    expect(await accessOf(sim, 'f2@example.com')).to.deep.equal([BACKUP_ON_PROD])
  })

  it('keeps within Clumio’s rate limit: the IdP’s PATCH is answered at once and the backlog waits, visible', async () => {
    ;({ products, scim } = await start({ clumioRequestsPerMinute: 8 }))
    sim = products.clumio
    const users = []
    for (const n of [1, 2, 3])
      users.push(await createUser(scim, `r${n}@example.com`, person('R', `${n}`)))
    const group = await createGroup(scim, 'Lots')
    const res = await scim.patch(
      `/Groups/${group.id as string}`,
      patchOf(
        { op: 'replace', path: 'displayName', value: 'Backup-Ops' },
        addMembers(users.map((u) => u.id as string)),
      ),
    )
    expect(res.status).to.equal(204)
    let queued = 0
    for (let i = 0; i < 100 && queued === 0; i++) {
      const body = (await fetch(`${products.started.origin}/admin/api/connections`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      }).then((r) => r.json())) as {
        connections: { connection: string; outbox: { queued: number; running: number } }[]
      }
      const clumio = body.connections.find((c) => c.connection === 'clumio')
      queued = (clumio?.outbox.queued ?? 0) + (clumio?.outbox.running ?? 0)
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(queued).to.be.greaterThan(0)
    // Another change for the same users while their jobs wait queues no second job for them.
    await scim.patch(
      `/Groups/${group.id as string}`,
      patchOf({ op: 'replace', path: 'displayName', value: 'Lots' }),
    )
    const waiting = (await fetch(`${products.started.origin}/admin/api/outbox?state=queued`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((r) => r.json())) as { jobs: { kind: string; resource: string }[] }
    const syncs = waiting.jobs.filter((j) => j.kind === 'access-sync').map((j) => j.resource)
    expect(syncs.length, JSON.stringify(waiting.jobs)).to.be.within(1, 3)
    expect(new Set(syncs).size).to.equal(syncs.length)
    const requests = (await fetch(`${sim.url}/_sim/requests`).then((r) => r.json())) as {
      requests: unknown[]
    }
    expect(requests.requests.length).to.be.at.most(8)
  })

  it('`connector test` passes, and fails naming auto-user-provisioning while it is on', async function () {
    this.timeout(60_000)
    ;({ products, scim } = await start())
    sim = products.clumio
    const env = { ...products.started.childEnv, LOG_LEVEL: 'warn' }
    const test = () =>
      runCli(['connector', 'test', '--tenant', 'demo', '--connection', 'clumio'], env)
    const passed = await test()
    expect(passed.code, passed.stdout + passed.stderr).to.equal(0)
    await fetch(`${sim.url}/settings/auto-user-provisioning`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${sim.credential}`,
        accept: 'application/api.clumio.auto-user-provisioning-settings=v1+json',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ is_enabled: true }),
    })
    const failed = await test()
    expect(failed.code).to.equal(1)
    expect(failed.stdout).to.match(/auto-user-provisioning is on: turn it off/)
  })
})
