import { expect } from 'chai'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import {
  createGroup,
  createUser,
  GROUP,
  memberIdsOf,
  metaOf,
  patchOf,
  type Resource,
} from '../helpers/scim-fixtures.ts'

describe('/Groups over HTTP (directory connection)', () => {
  let started: StartedGateway
  let scim: ScimClient
  let alice = ''
  let bob = ''

  before(async () => {
    started = await startGateway()
    scim = scimClient({ baseUrl: started.scimUrl, token: await started.token('demo', 'directory') })
    alice = String((await createUser(scim, 'alice@example.com', { displayName: 'Alice A' })).id)
    bob = String((await createUser(scim, 'bob@example.com')).id)
  })
  after(() => started.close())

  describe('POST /Groups', () => {
    it('answers 201 with Location = meta.location, ETag = meta.version, and the members', async () => {
      const res = await scim.post('/Groups', {
        schemas: [GROUP],
        displayName: 'Engineering',
        externalId: 'eng-1',
        members: [{ value: alice }, { value: bob }],
      })
      expect(res.status).to.equal(201)
      const group = objectOf(res)
      const meta = metaOf(group)
      expect(group.schemas).to.deep.equal([GROUP])
      expect(group.displayName).to.equal('Engineering')
      expect(group.externalId).to.equal('eng-1')
      expect(meta.resourceType).to.equal('Group')
      expect(meta.location).to.equal(`${started.scimUrl}/Groups/${String(group.id)}`)
      expect(res.headers.get('location')).to.equal(meta.location)
      expect(res.headers.get('etag')).to.equal(meta.version)
      expect(meta.created).to.be.a('string')
      expect(meta.lastModified).to.be.a('string')
      expect(memberIdsOf(group)).to.deep.equal([alice, bob].sort())
    })

    it('refuses members that do not exist, and creates nothing', async () => {
      const res = await scim.post('/Groups', {
        schemas: [GROUP],
        displayName: 'Ghosts',
        members: [{ value: alice }, { value: 'no-such-user' }],
      })
      expect(res.status).to.be.oneOf([400, 404])
      const list = objectOf(
        await scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "Ghosts"')}`),
      )
      expect(list.totalResults).to.equal(0)
    })
  })

  describe('members and groups', () => {
    let groupId = ''
    before(async () => {
      groupId = String((await createGroup(scim, 'Display Names', [alice, bob])).id)
    })

    it("lists members with their type and display name (the user's displayName, else userName)", async () => {
      const group = objectOf(await scim.get(`/Groups/${groupId}`))
      const members = (group.members as Resource[]).toSorted((a, b) =>
        String(a.value).localeCompare(String(b.value)),
      )
      const expected = [
        { value: alice, type: 'User', display: 'Alice A' },
        { value: bob, type: 'User', display: 'bob@example.com' },
      ].toSorted((a, b) => a.value.localeCompare(b.value))
      expect(members).to.deep.equal(expected)
    })

    it("reflects membership in each user's read-only groups attribute", async () => {
      const user = objectOf(await scim.get(`/Users/${alice}`))
      const groups = user.groups as Resource[]
      expect(groups).to.deep.include({ value: groupId, type: 'direct', display: 'Display Names' })
      const group = objectOf(await scim.get(`/Groups/${groupId}`))
      expect(group.displayName).to.equal('Display Names')
    })

    it('ignores groups sent in a user body (groups is read-only)', async () => {
      const res = await scim.put(`/Users/${bob}`, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'bob@example.com',
        groups: [],
      })
      expect(res.status).to.equal(200)
      const groups = objectOf(await scim.get(`/Users/${bob}`)).groups as Resource[]
      expect(groups.map((g) => g.value)).to.include(groupId)
    })

    it('removes a deleted user from every group it was in', async () => {
      const carol = String((await createUser(scim, 'carol@example.com')).id)
      const other = String((await createGroup(scim, 'Carol Too', [carol, alice])).id)
      await scim.patch(
        `/Groups/${groupId}`,
        patchOf({ op: 'add', path: 'members', value: [{ value: carol }] }),
      )
      expect(memberIdsOf(objectOf(await scim.get(`/Groups/${groupId}`)))).to.include(carol)
      expect((await scim.delete(`/Users/${carol}`)).status).to.equal(204)
      expect(memberIdsOf(objectOf(await scim.get(`/Groups/${groupId}`)))).to.deep.equal(
        [alice, bob].sort(),
      )
      expect(memberIdsOf(objectOf(await scim.get(`/Groups/${other}`)))).to.deep.equal([alice])
      const rows = await started.gateway.db('group_members').where({ member_id: carol })
      expect(rows).to.have.length(0)
    })

    it('a deleted group disappears from its members’ groups attribute', async () => {
      const temp = String((await createGroup(scim, 'Temporary', [alice])).id)
      expect(
        (objectOf(await scim.get(`/Users/${alice}`)).groups as Resource[]).map((g) => g.value),
      ).to.include(temp)
      expect((await scim.delete(`/Groups/${temp}`)).status).to.equal(204)
      expectScimError(await scim.get(`/Groups/${temp}`), 404)
      const groups = (objectOf(await scim.get(`/Users/${alice}`)).groups as Resource[]) ?? []
      expect(groups.map((g) => g.value)).to.not.include(temp)
    })
  })

  describe('PUT, PATCH and DELETE /Groups/:id', () => {
    it('PUT replaces displayName and the whole member list', async () => {
      const group = await createGroup(scim, 'Put Group', [alice])
      const id = String(group.id)
      const res = await scim.put(`/Groups/${id}`, {
        schemas: [GROUP],
        displayName: 'Put Group Renamed',
        members: [{ value: bob }],
      })
      expect(res.status).to.equal(200)
      const put = objectOf(res)
      expect(put.displayName).to.equal('Put Group Renamed')
      expect(put).to.not.have.property('externalId')
      expect(memberIdsOf(put)).to.deep.equal([bob])
      expect(res.headers.get('etag')).to.equal(metaOf(put).version)
      const emptied = objectOf(
        await scim.put(`/Groups/${id}`, { schemas: [GROUP], displayName: 'Put Group Renamed' }),
      )
      expect(memberIdsOf(emptied)).to.deep.equal([])
    })

    it('PATCH answers 204, or 200 with the group for ?excludedAttributes=members', async () => {
      const id = String((await createGroup(scim, 'Patch Group')).id)
      const add = await scim.patch(
        `/Groups/${id}`,
        patchOf({ op: 'add', path: 'members', value: [{ value: alice }] }),
      )
      expect(add.status).to.equal(204)
      expect(add.body).to.equal(undefined)
      const rename = await scim.patch(
        `/Groups/${id}?excludedAttributes=members`,
        patchOf({ op: 'replace', path: 'displayName', value: 'Patch Group 2' }),
      )
      expect(rename.status).to.equal(200)
      const group = objectOf(rename)
      expect(group.displayName).to.equal('Patch Group 2')
      expect(group).to.not.have.property('members')
      expect(memberIdsOf(objectOf(await scim.get(`/Groups/${id}`)))).to.deep.equal([alice])
    })

    it('DELETE answers 204, then 404 on GET, PATCH and DELETE', async () => {
      const id = String((await createGroup(scim, 'Delete Group', [alice])).id)
      expect((await scim.delete(`/Groups/${id}`)).status).to.equal(204)
      expectScimError(await scim.get(`/Groups/${id}`), 404)
      expectScimError(
        await scim.patch(
          `/Groups/${id}`,
          patchOf({ op: 'replace', path: 'displayName', value: 'x' }),
        ),
        404,
      )
      expectScimError(await scim.delete(`/Groups/${id}`), 404)
      expect(await started.gateway.db('group_members').where({ group_id: id })).to.have.length(0)
    })
  })

  describe('concurrent member changes', () => {
    it('keeps every member when several PATCHes add members at the same time', async () => {
      const users = await Promise.all(
        [1, 2, 3, 4, 5].map((i) => createUser(scim, `concurrent${i}@example.com`)),
      )
      const id = String((await createGroup(scim, 'Concurrent')).id)
      const results = await Promise.all(
        users.map((u) =>
          scim.patch(
            `/Groups/${id}`,
            patchOf({ op: 'add', path: 'members', value: [{ value: u.id }] }),
          ),
        ),
      )
      expect(results.map((r) => r.status)).to.deep.equal([204, 204, 204, 204, 204])
      const group = objectOf(await scim.get(`/Groups/${id}`))
      expect(memberIdsOf(group)).to.deep.equal(users.map((u) => String(u.id)).sort())
    })
  })

  describe('a group of 1,000 members', () => {
    const ids: string[] = []
    let groupId = ''

    before(async function () {
      this.timeout(120_000)
      for (let i = 0; i < 1_000; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            createUser(scim, `bulk${String(i + j).padStart(4, '0')}@example.com`),
          ),
        )
        ids.push(...batch.map((u) => String(u.id)))
      }
      groupId = String((await createGroup(scim, 'Thousand')).id)
    })

    it('adds all 1,000 members in one PATCH', async function () {
      this.timeout(60_000)
      const res = await scim.patch(
        `/Groups/${groupId}`,
        patchOf({ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }),
      )
      expect(res.status).to.equal(204)
      const group = objectOf(await scim.get(`/Groups/${groupId}`))
      expect(memberIdsOf(group)).to.deep.equal([...ids].sort())
      const rows = await started.gateway.db('group_members').where({ group_id: groupId })
      expect(rows).to.have.length(1_000)
      const sample = objectOf(await scim.get(`/Users/${ids[500] ?? ''}`))
      expect((sample.groups as Resource[]).map((g) => g.value)).to.deep.equal([groupId])
    })

    it('removes all 1,000 members in one PATCH, leaving the users in place', async function () {
      this.timeout(60_000)
      const res = await scim.patch(
        `/Groups/${groupId}`,
        patchOf({ op: 'remove', path: 'members', value: ids.map((value) => ({ value })) }),
      )
      expect(res.status).to.equal(204)
      expect(memberIdsOf(objectOf(await scim.get(`/Groups/${groupId}`)))).to.deep.equal([])
      expect(await started.gateway.db('group_members').where({ group_id: groupId })).to.have.length(
        0,
      )
      expect((await scim.get(`/Users/${ids[999] ?? ''}`)).status).to.equal(200)
    })
  })
})
