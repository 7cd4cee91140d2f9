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
  USER,
  type Resource,
} from '../helpers/scim-fixtures.ts'

/** RFC 7644 §3.14: versions, ETag, If-Match and If-None-Match. */
describe('ETags and preconditions', () => {
  let started: StartedGateway
  let scim: ScimClient
  const stale = 'W/"999"'

  before(async () => {
    started = await startGateway()
    scim = scimClient({ baseUrl: started.scimUrl, token: await started.token('demo', 'directory') })
  })
  after(() => started.close())

  async function read(path: string): Promise<Resource> {
    const res = await scim.get(path)
    expect(res.status).to.equal(200)
    const resource = objectOf(res)
    expect(res.headers.get('etag')).to.equal(metaOf(resource).version)
    return resource
  }

  describe('If-Match that does not match answers 412 and changes nothing', () => {
    let id = ''
    let before: Resource
    beforeEach(async () => {
      id = String(
        (await createUser(scim, `if-match-${Date.now()}-${Math.random()}@example.com`)).id,
      )
      before = await read(`/Users/${id}`)
    })

    it('on PUT', async () => {
      const res = await scim.put(
        `/Users/${id}`,
        { schemas: [USER], userName: String(before.userName), title: 'Changed' },
        { 'if-match': stale },
      )
      expectScimError(res, 412)
      expect(await read(`/Users/${id}`)).to.deep.equal(before)
    })

    it('on PATCH', async () => {
      const res = await scim.patch(
        `/Users/${id}`,
        patchOf({ op: 'add', path: 'title', value: 'Changed' }),
        { 'if-match': stale },
      )
      expectScimError(res, 412)
      expect(await read(`/Users/${id}`)).to.deep.equal(before)
    })

    it('on DELETE', async () => {
      expectScimError(await scim.delete(`/Users/${id}`, { 'if-match': stale }), 412)
      expect(await read(`/Users/${id}`)).to.deep.equal(before)
    })
  })

  describe('If-Match that matches lets the change through', () => {
    it('on PUT, PATCH and DELETE, each with the version the previous step returned', async () => {
      const created = await createUser(scim, 'if-match-ok@example.com')
      const id = String(created.id)
      const put = await scim.put(
        `/Users/${id}`,
        { schemas: [USER], userName: 'if-match-ok@example.com', title: 'One' },
        { 'if-match': metaOf(created).version ?? '' },
      )
      expect(put.status).to.equal(200)
      const afterPut = objectOf(put)
      expect(afterPut.title).to.equal('One')
      const patch = await scim.patch(
        `/Users/${id}`,
        patchOf({ op: 'replace', path: 'title', value: 'Two' }),
        { 'if-match': put.headers.get('etag') ?? '' },
      )
      expect(patch.status).to.equal(204)
      const current = await read(`/Users/${id}`)
      expect(current.title).to.equal('Two')
      expect(patch.headers.get('etag')).to.equal(metaOf(current).version)
      expectScimError(
        await scim.delete(`/Users/${id}`, { 'if-match': metaOf(afterPut).version ?? '' }),
        412,
      )
      const del = await scim.delete(`/Users/${id}`, { 'if-match': metaOf(current).version ?? '' })
      expect(del.status).to.equal(204)
      expectScimError(await scim.get(`/Users/${id}`), 404)
    })

    it('accepts If-Match: *', async () => {
      const id = String((await createUser(scim, 'if-match-star@example.com')).id)
      const res = await scim.patch(
        `/Users/${id}`,
        patchOf({ op: 'add', path: 'title', value: 'Star' }),
        { 'if-match': '*' },
      )
      expect(res.status).to.equal(204)
    })

    it('accepts the strong form of the current weak ETag', async () => {
      const user = await createUser(scim, 'if-match-strong@example.com')
      const strong = (metaOf(user).version ?? '').replace(/^W\//, '')
      const res = await scim.patch(
        `/Users/${String(user.id)}`,
        patchOf({ op: 'add', path: 'title', value: 'Strong' }),
        { 'if-match': strong },
      )
      expect(res.status).to.equal(204)
    })
  })

  describe('If-None-Match', () => {
    it('answers 304 with no body for the current ETag, and 200 once it changed', async () => {
      const user = await createUser(scim, 'if-none-match@example.com')
      const id = String(user.id)
      const etag = metaOf(user).version ?? ''
      const unchanged = await scim.get(`/Users/${id}`, { 'if-none-match': etag })
      expect(unchanged.status).to.equal(304)
      expect(unchanged.body).to.equal(undefined)
      expect(unchanged.headers.get('etag')).to.equal(etag)
      expect((await scim.get(`/Users/${id}`, { 'if-none-match': stale })).status).to.equal(200)
      await scim.patch(`/Users/${id}`, patchOf({ op: 'add', path: 'title', value: 'New' }))
      const changed = await scim.get(`/Users/${id}`, { 'if-none-match': etag })
      expect(changed.status).to.equal(200)
      expect(objectOf(changed).title).to.equal('New')
    })
  })

  describe('versions move with every change', () => {
    it('changes the version and lastModified after a user update', async () => {
      const user = await createUser(scim, 'version-user@example.com')
      const res = await scim.patch(
        `/Users/${String(user.id)}?excludedAttributes=name`,
        patchOf({ op: 'add', path: 'title', value: 'Versioned' }),
      )
      const patched = objectOf(res)
      expect(metaOf(patched).version).to.not.equal(metaOf(user).version)
      expect(res.headers.get('etag')).to.equal(metaOf(patched).version)
      const current = await read(`/Users/${String(user.id)}`)
      expect(metaOf(current).version).to.equal(metaOf(patched).version)
      expect(Date.parse(metaOf(current).lastModified ?? '')).to.be.at.least(
        Date.parse(metaOf(user).lastModified ?? ''),
      )
    })

    it('changes the version of a group after a member-only PATCH (add and remove)', async () => {
      const member = String((await createUser(scim, 'version-member@example.com')).id)
      const group = await createGroup(scim, 'Versioned Group')
      const id = String(group.id)
      const v1 = metaOf(group).version
      const add = await scim.patch(
        `/Groups/${id}`,
        patchOf({ op: 'add', path: 'members', value: [{ value: member }] }),
      )
      expect(add.status).to.equal(204)
      const afterAdd = await read(`/Groups/${id}`)
      expect(memberIdsOf(afterAdd)).to.deep.equal([member])
      const v2 = metaOf(afterAdd).version
      expect(v2).to.not.equal(v1)
      expectScimError(
        await scim.put(
          `/Groups/${id}`,
          { schemas: [GROUP], displayName: 'Versioned Group' },
          { 'if-match': v1 ?? '' },
        ),
        412,
      )
      await scim.patch(
        `/Groups/${id}`,
        patchOf({ op: 'remove', path: `members[value eq "${member}"]` }),
      )
      const v3 = metaOf(await read(`/Groups/${id}`)).version
      expect(v3).to.not.equal(v2)
      expect(v3).to.not.equal(v1)
    })

    it('lets only one of two member-only PATCHes with the same If-Match through', async () => {
      const group = String((await createGroup(scim, 'Raced Group')).id)
      for (let round = 0; round < 4; round++) {
        const a = String((await createUser(scim, `race-a${round}@example.com`)).id)
        const b = String((await createUser(scim, `race-b${round}@example.com`)).id)
        const etag = metaOf(await read(`/Groups/${group}`)).version ?? ''
        const results = await Promise.all(
          [a, b].map((member) =>
            scim.patch(
              `/Groups/${group}`,
              patchOf({ op: 'add', path: 'members', value: [{ value: member }] }),
              { 'if-match': etag },
            ),
          ),
        )
        expect(results.map((r) => r.status).sort(), `round ${round}`).to.deep.equal([204, 412])
        const winner = results.find((r) => r.status === 204)
        const current = await read(`/Groups/${group}`)
        expect(winner?.headers.get('etag')).to.equal(metaOf(current).version)
      }
    })
  })
})
