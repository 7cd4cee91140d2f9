import { expect } from 'chai'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import {
  createUser,
  ENTERPRISE,
  filterQuery,
  patchOf,
  USER,
  type Resource,
} from '../helpers/scim-fixtures.ts'

describe('User attributes: enterprise extension, password, primary values', () => {
  let started: StartedGateway
  let scim: ScimClient

  before(async () => {
    started = await startGateway()
    scim = scimClient({ baseUrl: started.scimUrl, token: await started.token('demo', 'directory') })
  })
  after(() => started.close())

  /** The stored SCIM views of every link of this gateway, as text. */
  async function storedViews(): Promise<string[]> {
    const rows: { scim: string }[] = await started.gateway.db('links').select('scim')
    return rows.map((r) => r.scim)
  }

  describe('enterprise extension', () => {
    const enterprise = {
      employeeNumber: '701984',
      costCenter: '4130',
      organization: 'Universal Studios',
      division: 'Theme Park',
      department: 'Tour Operations',
    }

    it('round-trips through POST, GET, PUT and PATCH, with its URN in schemas', async () => {
      const created = await createUser(scim, 'enterprise.user@example.com', {
        schemas: [USER, ENTERPRISE],
        [ENTERPRISE]: enterprise,
      })
      expect(created.schemas).to.deep.equal([USER, ENTERPRISE])
      expect(created[ENTERPRISE]).to.deep.equal(enterprise)
      const id = String(created.id)
      expect(objectOf(await scim.get(`/Users/${id}`))[ENTERPRISE]).to.deep.equal(enterprise)

      await scim.patch(
        `/Users/${id}`,
        patchOf({ op: 'replace', path: `${ENTERPRISE}:department`, value: 'Rides' }),
      )
      const patched = objectOf(await scim.get(`/Users/${id}`))
      expect(patched[ENTERPRISE]).to.deep.equal({ ...enterprise, department: 'Rides' })

      const put = objectOf(
        await scim.put(`/Users/${id}`, {
          schemas: [USER],
          userName: 'enterprise.user@example.com',
        }),
      )
      expect(put).to.not.have.property(ENTERPRISE)
      expect(put.schemas).to.deep.equal([USER])
    })

    it('finds users by an enterprise attribute and returns it under ?attributes', async () => {
      const res = await scim.get(
        `/Users?${filterQuery(`${ENTERPRISE}:employeeNumber eq "555"`)}&attributes=${ENTERPRISE}:employeeNumber`,
      )
      expect(objectOf(res).totalResults).to.equal(0)
      const created = await createUser(scim, 'enterprise.two@example.com', {
        schemas: [USER, ENTERPRISE],
        [ENTERPRISE]: { employeeNumber: '555', department: 'X' },
      })
      const found = objectOf(
        await scim.get(
          `/Users?${filterQuery(`${ENTERPRISE}:employeeNumber eq "555"`)}&attributes=${ENTERPRISE}:employeeNumber`,
        ),
      )
      const resources = found.Resources as Resource[]
      expect(resources.map((r) => r.id)).to.deep.equal([created.id])
      expect(resources[0]?.[ENTERPRISE]).to.deep.equal({ employeeNumber: '555' })
    })
  })

  describe('password', () => {
    const secret = 'Sup3r-S3cret-Pa55word!'

    it('is accepted on POST, PUT and PATCH, never returned, and never stored', async () => {
      const created = await createUser(scim, 'password.user@example.com', { password: secret })
      expect(created).to.not.have.property('password')
      const id = String(created.id)
      const put = await scim.put(`/Users/${id}`, {
        schemas: [USER],
        userName: 'password.user@example.com',
        password: `${secret}-put`,
      })
      expect(put.status).to.equal(200)
      expect(objectOf(put)).to.not.have.property('password')
      const patch = await scim.patch(
        `/Users/${id}?attributes=password,userName`,
        patchOf({ op: 'replace', path: 'password', value: `${secret}-patch` }),
      )
      expect(patch.status).to.equal(200)
      expect(objectOf(patch)).to.not.have.property('password')
      expect(objectOf(await scim.get(`/Users/${id}?attributes=password`))).to.not.have.property(
        'password',
      )
      const views = await storedViews()
      expect(views.length).to.be.greaterThan(0)
      for (const view of views) {
        expect(view).to.not.include(secret)
        expect(JSON.parse(view) as object).to.not.have.property('password')
      }
    })

    it('cannot be filtered on to learn it', async () => {
      await createUser(scim, 'password.filter@example.com', { password: secret })
      const res = await scim.get(`/Users?${filterQuery(`password eq "${secret}"`)}`)
      if (res.status === 200) expect(objectOf(res).totalResults).to.equal(0)
      else expectScimError(res, 400, 'invalidFilter')
    })
  })
  describe('PATCH of primary values (RFC 7644 §3.5.2)', () => {
    const primaryOf = (user: Resource) =>
      (user.emails as { value: string; primary?: boolean }[])
        .filter((e) => e.primary === true)
        .map((e) => e.value)

    it('sets primary to false on the other values when a PATCH adds a primary value', async () => {
      const id = String(
        (
          await createUser(scim, 'primary.add@example.com', {
            emails: [{ value: 'old@example.com', type: 'work', primary: true }],
          })
        ).id,
      )
      await scim.patch(
        `/Users/${id}`,
        patchOf({
          op: 'add',
          path: 'emails',
          value: [{ value: 'new@example.com', type: 'home', primary: true }],
        }),
      )
      const user = objectOf(await scim.get(`/Users/${id}`))
      expect(primaryOf(user)).to.deep.equal(['new@example.com'])
      expect(user.emails).to.deep.include({
        value: 'old@example.com',
        type: 'work',
        primary: false,
      })
    })

    it('sets primary to false on the others when a PATCH marks an existing value primary', async () => {
      const id = String(
        (
          await createUser(scim, 'primary.replace@example.com', {
            emails: [
              { value: 'a@example.com', type: 'work', primary: true },
              { value: 'b@example.com', type: 'home' },
            ],
          })
        ).id,
      )
      await scim.patch(
        `/Users/${id}`,
        patchOf({ op: 'replace', path: 'emails[value eq "b@example.com"].primary', value: true }),
      )
      expect(primaryOf(objectOf(await scim.get(`/Users/${id}`)))).to.deep.equal(['b@example.com'])
    })
  })
})
