import { expect } from 'chai'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'

/** Okta's provisioning, as its SCIM 2.0 reference documents it (OIN and AIW integrations). */
describe('Okta provisioning cycle', () => {
  let started: StartedGateway
  let scim: ScimClient
  let userId = ''
  const oktaUser = (userName: string) => ({
    schemas: [USER],
    userName,
    name: { givenName: 'Test', familyName: 'User' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Test User',
    locale: 'en-US',
    externalId: '00ujl29u0le5T6Aj10h7',
    groups: [],
    password: '1mz050nq',
    active: true,
  })

  before(async () => {
    started = await startGateway()
    scim = scimClient({
      baseUrl: started.scimUrl,
      token: await started.token('demo', 'directory'),
      userAgent: 'Okta SCIM Client 1.0.0',
      contentType: 'application/json',
    })
  })
  after(() => started.close())

  it('looks the user up before creating it (200, totalResults 0)', async () => {
    const res = await scim.get(
      `/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100`,
    )
    expect(res.status).to.equal(200)
    expect(objectOf(res)).to.include({ totalResults: 0, startIndex: 1, itemsPerPage: 0 })
  })

  it('creates the user from an application/json body and never returns the password', async () => {
    const res = await scim.post('/Users', oktaUser('test.user@okta.local'))
    expect(res.status).to.equal(201)
    const user = objectOf(res)
    userId = user.id as string
    expect(user.userName).to.equal('test.user@okta.local')
    expect(user.active).to.equal(true)
    expect(user).to.not.have.property('password')
    expect(objectOf(await scim.get(`/Users/${userId}`))).to.not.have.property('password')
  })

  it('answers a duplicate create with 409 uniqueness, whatever the case of userName', async () => {
    expectScimError(await scim.post('/Users', oktaUser('TEST.USER@okta.local')), 409, 'uniqueness')
  })

  it('updates a profile with GET then PUT of the whole user', async () => {
    const current = objectOf(await scim.get(`/Users/${userId}`))
    const res = await scim.put(`/Users/${userId}`, {
      ...current,
      name: { givenName: 'Another', familyName: 'User' },
      password: 'ignored-and-never-stored',
    })
    expect(res.status).to.equal(200)
    const user = objectOf(res)
    expect(user.name).to.deep.equal({ givenName: 'Another', familyName: 'User' })
    expect(user).to.not.have.property('password')
    expect(user.id).to.equal(userId)
  })

  it('deactivates with a path-less replace {active:false}, and reactivates with PUT', async () => {
    const res = await scim.patch(`/Users/${userId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { active: false } }],
    })
    expect(res.status).to.be.oneOf([200, 204])
    const inactive = objectOf(await scim.get(`/Users/${userId}`))
    expect(inactive.active).to.equal(false)
    const put = await scim.put(`/Users/${userId}`, { ...inactive, active: true })
    expect(objectOf(put).active).to.equal(true)
  })

  it('pages through all users with startIndex/count, without overlap and with integer metadata', async () => {
    for (let i = 0; i < 24; i++) {
      expect(
        (await scim.post('/Users', oktaUser(`pager${String(i).padStart(2, '0')}@okta.local`)))
          .status,
      ).to.equal(201)
    }
    const seen: string[] = []
    for (let start = 1; start <= 25; start += 10) {
      const page = objectOf(await scim.get(`/Users?startIndex=${start}&count=10`))
      expect(page.totalResults).to.equal(25)
      expect(page.startIndex).to.equal(start)
      const resources = page.Resources as { id: string }[]
      expect(page.itemsPerPage).to.equal(resources.length)
      seen.push(...resources.map((r) => r.id))
    }
    expect(seen).to.have.length(25)
    expect(new Set(seen).size).to.equal(25)
    expect(seen).to.include(userId)
  })

  describe('Group Push', () => {
    let groupId = ''
    let otherId = ''

    it('creates a pushed group with an empty members array and finds it by displayName', async () => {
      const lookup = objectOf(
        await scim.get(`/Users?filter=${encodeURIComponent('userName eq "pager00@okta.local"')}`),
      )
      otherId = (lookup.Resources as { id: string }[])[0]?.id ?? ''
      expect(otherId).to.not.equal('')
      const res = await scim.post('/Groups', {
        schemas: [GROUP],
        displayName: 'Test SCIMv2',
        members: [],
      })
      expect(res.status).to.equal(201)
      groupId = objectOf(res).id as string
      const found = objectOf(
        await scim.get(
          `/Groups?filter=${encodeURIComponent('displayName eq "Test SCIMv2"')}&startIndex=1&count=100`,
        ),
      )
      expect(found.totalResults).to.equal(1)
    })

    it('applies a membership PATCH that mixes remove and add', async () => {
      await scim.patch(`/Groups/${groupId}`, {
        schemas: [PATCH_OP],
        Operations: [
          {
            op: 'add',
            path: 'members',
            value: [{ value: otherId, display: 'pager00@okta.local' }],
          },
        ],
      })
      const res = await scim.patch(`/Groups/${groupId}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'remove', path: `members[value eq "${otherId}"]` },
          {
            op: 'add',
            path: 'members',
            value: [{ value: userId, display: 'test.user@okta.local' }],
          },
        ],
      })
      expect(res.status).to.be.oneOf([200, 204])
      const group = objectOf(await scim.get(`/Groups/${groupId}`))
      expect((group.members as { value: string }[]).map((m) => m.value)).to.deep.equal([userId])
    })

    it('renames with a path-less replace that carries the id', async () => {
      const res = await scim.patch(`/Groups/${groupId}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', value: { id: groupId, displayName: 'Test SCIMv2 renamed' } }],
      })
      expect(res.status).to.be.oneOf([200, 204])
      const group = objectOf(await scim.get(`/Groups/${groupId}`))
      expect(group.displayName).to.equal('Test SCIMv2 renamed')
      expect((group.members as { value: string }[]).map((m) => m.value)).to.deep.equal([userId])
    })

    it('replaces the whole group with PUT (AIW), members included', async () => {
      const res = await scim.put(`/Groups/${groupId}`, {
        schemas: [GROUP],
        id: groupId,
        displayName: 'Test SCIMv2 renamed',
        members: [{ value: otherId }, { value: userId }],
      })
      expect(res.status).to.equal(200)
      expect(
        (objectOf(res).members as { value: string }[]).map((m) => m.value).sort(),
      ).to.deep.equal([otherId, userId].sort())
    })

    it('deletes the group when the admin unlinks it with delete', async () => {
      expect((await scim.delete(`/Groups/${groupId}`)).status).to.equal(204)
      expect((await scim.get(`/Groups/${groupId}`)).status).to.equal(404)
    })
  })
})
