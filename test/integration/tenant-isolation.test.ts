import { expect } from 'chai'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import {
  createGroup,
  createUser,
  filterQuery,
  GROUP,
  memberIdsOf,
  patchOf,
  resourcesOf,
  searchOf,
  USER,
} from '../helpers/scim-fixtures.ts'

/** The bearer token names the tenant: one tenant never sees or touches another's resources. */
describe('tenant isolation', () => {
  let started: StartedGateway
  let demo: ScimClient
  let acme: ScimClient
  let demoUser = ''
  let demoGroup = ''
  const shared = 'same.name@example.com'

  before(async () => {
    started = await startGateway()
    demo = scimClient({ baseUrl: started.scimUrl, token: await started.token('demo', 'directory') })
    acme = scimClient({ baseUrl: started.scimUrl, token: await started.token('acme', 'directory') })
    demoUser = String((await createUser(demo, shared, { title: 'Demo title' })).id)
    demoGroup = String((await createGroup(demo, 'Demo Group', [demoUser])).id)
  })
  after(() => started.close())

  async function demoUnchanged() {
    const user = objectOf(await demo.get(`/Users/${demoUser}`))
    expect(user.title).to.equal('Demo title')
    expect(user.userName).to.equal(shared)
    const group = objectOf(await demo.get(`/Groups/${demoGroup}`))
    expect(group.displayName).to.equal('Demo Group')
    expect(memberIdsOf(group)).to.deep.equal([demoUser])
  }

  it("answers 404 to acme on GET, PUT, PATCH and DELETE of demo's user", async () => {
    expectScimError(await acme.get(`/Users/${demoUser}`), 404)
    expectScimError(
      await acme.put(`/Users/${demoUser}`, { schemas: [USER], userName: 'stolen@example.com' }),
      404,
    )
    expectScimError(
      await acme.patch(`/Users/${demoUser}`, patchOf({ op: 'replace', path: 'title', value: 'x' })),
      404,
    )
    expectScimError(await acme.delete(`/Users/${demoUser}`), 404)
    await demoUnchanged()
  })

  it("answers 404 to acme on GET, PUT, PATCH and DELETE of demo's group", async () => {
    expectScimError(await acme.get(`/Groups/${demoGroup}`), 404)
    expectScimError(
      await acme.put(`/Groups/${demoGroup}`, { schemas: [GROUP], displayName: 'Stolen' }),
      404,
    )
    expectScimError(
      await acme.patch(
        `/Groups/${demoGroup}`,
        patchOf({ op: 'remove', path: `members[value eq "${demoUser}"]` }),
      ),
      404,
    )
    expectScimError(await acme.delete(`/Groups/${demoGroup}`), 404)
    await demoUnchanged()
  })

  it("never lists or finds demo's resources for acme", async () => {
    expect(objectOf(await acme.get('/Users')).totalResults).to.equal(0)
    expect(objectOf(await acme.get('/Groups')).totalResults).to.equal(0)
    for (const filter of [`userName eq "${shared}"`, `id eq "${demoUser}"`, 'title pr']) {
      expect(objectOf(await acme.get(`/Users?${filterQuery(filter)}`)).totalResults).to.equal(0)
    }
    expect(resourcesOf(await acme.post('/Users/.search', searchOf({})))).to.deep.equal([])
    expect(resourcesOf(await acme.post('/.search', searchOf({})))).to.deep.equal([])
  })

  it('lets acme use the same userName and group name, independently of demo', async () => {
    const acmeUser = String((await createUser(acme, shared, { title: 'Acme title' })).id)
    expect(acmeUser).to.not.equal(demoUser)
    await createGroup(acme, 'Demo Group', [acmeUser])
    const found = resourcesOf(await acme.get(`/Users?${filterQuery(`userName eq "${shared}"`)}`))
    expect(found.map((u) => u.id)).to.deep.equal([acmeUser])
    const demoFound = resourcesOf(
      await demo.get(`/Users?${filterQuery(`userName eq "${shared}"`)}`),
    )
    expect(demoFound.map((u) => u.id)).to.deep.equal([demoUser])
    await demoUnchanged()
  })

  it("refuses to make demo's user a member of an acme group", async () => {
    const res = await acme.post('/Groups', {
      schemas: [GROUP],
      displayName: 'Cross Tenant',
      members: [{ value: demoUser }],
    })
    expect(res.status).to.be.oneOf([400, 404])
    const patchTarget = String((await createGroup(acme, 'Acme Only')).id)
    const patch = await acme.patch(
      `/Groups/${patchTarget}`,
      patchOf({ op: 'add', path: 'members', value: [{ value: demoUser }] }),
    )
    expect(patch.status).to.be.oneOf([400, 404])
    expect(memberIdsOf(objectOf(await acme.get(`/Groups/${patchTarget}`)))).to.deep.equal([])
    const groups = objectOf(await demo.get(`/Users/${demoUser}`)).groups as { value: string }[]
    expect(groups.map((g) => g.value)).to.deep.equal([demoGroup])
  })

  it("does not let acme's deletes of its own user touch demo's user of the same name", async () => {
    const acmeUser = resourcesOf(
      await acme.get(`/Users?${filterQuery(`userName eq "${shared}"`)}`),
    )[0]
    expect((await acme.delete(`/Users/${String(acmeUser?.id)}`)).status).to.equal(204)
    await demoUnchanged()
  })
})
