import { expect } from 'chai'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import { createUser, filterQuery, metaOf, patchOf, USER } from '../helpers/scim-fixtures.ts'

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

describe('/Users over HTTP (directory connection)', () => {
  let started: StartedGateway
  let scim: ScimClient

  before(async () => {
    started = await startGateway()
    scim = scimClient({ baseUrl: started.scimUrl, token: await started.token('demo', 'directory') })
  })
  after(() => started.close())

  describe('POST /Users', () => {
    it('answers 201 with Location = meta.location, ETag = meta.version and meta timestamps', async () => {
      const res = await scim.post('/Users', {
        schemas: [USER],
        userName: 'post.user@example.com',
        name: { givenName: 'Post', familyName: 'User' },
      })
      expect(res.status).to.equal(201)
      expect(res.headers.get('content-type')).to.match(/^application\/scim\+json/)
      const user = objectOf(res)
      const meta = metaOf(user)
      expect(user.id).to.be.a('string').and.not.empty
      expect(user.schemas).to.deep.equal([USER])
      expect(res.headers.get('location')).to.equal(meta.location)
      expect(meta.location).to.equal(`${started.scimUrl}/Users/${String(user.id)}`)
      expect(res.headers.get('etag')).to.equal(meta.version)
      expect(meta.version).to.match(/^W\/".+"$/)
      expect(meta.resourceType).to.equal('User')
      expect(meta.created).to.match(ISO_INSTANT)
      expect(meta.lastModified).to.equal(meta.created)
      expect(user.userName).to.equal('post.user@example.com')
      expect(user.name).to.deep.equal({ givenName: 'Post', familyName: 'User' })
    })

    it('answers five concurrent creates of one userName with one 201 and four 409s', async () => {
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          scim.post('/Users', {
            schemas: [USER],
            userName: i % 2 ? 'RACE@example.com' : 'race@example.com',
          }),
        ),
      )
      expect(results.map((r) => r.status).sort()).to.deep.equal([201, 409, 409, 409, 409])
      const found = await scim.get(`/Users?${filterQuery('userName eq "race@example.com"')}`)
      expect(objectOf(found).totalResults).to.equal(1)
    })

    it('gives every user its own id', async () => {
      const a = await createUser(scim, 'ids.a@example.com')
      const b = await createUser(scim, 'ids.b@example.com')
      expect(a.id).to.not.equal(b.id)
    })
  })

  describe('GET /Users/:id', () => {
    it('returns what POST stored, with the same ETag header and meta', async () => {
      const created = await createUser(scim, 'get.user@example.com', {
        displayName: 'Get User',
        emails: [{ value: 'get.user@example.com', type: 'work', primary: true }],
      })
      const res = await scim.get(`/Users/${String(created.id)}`)
      expect(res.status).to.equal(200)
      const user = objectOf(res)
      expect(user).to.deep.equal(created)
      expect(res.headers.get('etag')).to.equal(metaOf(user).version)
    })
  })

  describe('PUT /Users/:id', () => {
    it('replaces the whole user: attributes left out disappear, id and created stay', async () => {
      const created = await createUser(scim, 'put.user@example.com', {
        displayName: 'Before',
        nickName: 'Nick',
        title: 'Engineer',
        name: { givenName: 'Put', familyName: 'User' },
      })
      const id = String(created.id)
      const res = await scim.put(`/Users/${id}`, {
        schemas: [USER],
        userName: 'put.user@example.com',
        displayName: 'After',
      })
      expect(res.status).to.equal(200)
      const user = objectOf(res)
      expect(user.id).to.equal(id)
      expect(user.displayName).to.equal('After')
      for (const gone of ['nickName', 'title', 'name']) expect(user).to.not.have.property(gone)
      expect(metaOf(user).created).to.equal(metaOf(created).created)
      expect(metaOf(user).version).to.not.equal(metaOf(created).version)
      expect(res.headers.get('etag')).to.equal(metaOf(user).version)
      const read = objectOf(await scim.get(`/Users/${id}`))
      expect(read).to.not.have.property('nickName')
      expect(read.displayName).to.equal('After')
    })

    it('ignores an id in the body: the URL names the resource', async () => {
      const created = await createUser(scim, 'put.id@example.com')
      const res = await scim.put(`/Users/${String(created.id)}`, {
        schemas: [USER],
        id: 'something-else',
        userName: 'put.id@example.com',
      })
      expect(objectOf(res).id).to.equal(created.id)
      expect((await scim.get('/Users/something-else')).status).to.equal(404)
    })
  })

  describe('PATCH /Users/:id', () => {
    let id = ''
    before(async () => {
      id = String((await createUser(scim, 'patch.user@example.com', { title: 'T1' })).id)
    })

    it('answers 204 with no body when no attributes are asked for, and applies the change', async () => {
      const res = await scim.patch(
        `/Users/${id}`,
        patchOf({ op: 'replace', path: 'title', value: 'T2' }),
      )
      expect(res.status).to.equal(204)
      expect(res.body).to.equal(undefined)
      expect(objectOf(await scim.get(`/Users/${id}`)).title).to.equal('T2')
    })

    it('answers 200 with only the asked-for attributes (plus id and schemas) for ?attributes=userName', async () => {
      const res = await scim.patch(
        `/Users/${id}?attributes=userName`,
        patchOf({ op: 'replace', path: 'title', value: 'T3' }),
      )
      expect(res.status).to.equal(200)
      const user = objectOf(res)
      expect(Object.keys(user).sort()).to.deep.equal(['id', 'schemas', 'userName'])
      expect(user.userName).to.equal('patch.user@example.com')
      expect(objectOf(await scim.get(`/Users/${id}`)).title).to.equal('T3')
    })

    it('answers 200 with the resource minus the excluded attributes for ?excludedAttributes=title', async () => {
      const res = await scim.patch(
        `/Users/${id}?excludedAttributes=title`,
        patchOf({ op: 'add', path: 'nickName', value: 'Patchy' }),
      )
      expect(res.status).to.equal(200)
      const user = objectOf(res)
      expect(user.nickName).to.equal('Patchy')
      expect(user).to.not.have.property('title')
      expect(res.headers.get('etag')).to.equal(metaOf(user).version)
    })
  })

  describe('DELETE /Users/:id', () => {
    it('answers 204, then 404 on GET, and a second DELETE is 404', async () => {
      const id = String((await createUser(scim, 'delete.user@example.com')).id)
      const res = await scim.delete(`/Users/${id}`)
      expect(res.status).to.equal(204)
      expect(res.body).to.equal(undefined)
      expectScimError(await scim.get(`/Users/${id}`), 404)
      expectScimError(await scim.delete(`/Users/${id}`), 404)
    })

    it('frees the userName for a new user', async () => {
      const first = await createUser(scim, 'reuse.user@example.com')
      expect((await scim.delete(`/Users/${String(first.id)}`)).status).to.equal(204)
      const second = await createUser(scim, 'reuse.user@example.com')
      expect(second.id).to.not.equal(first.id)
    })
  })
})
