import { expect } from 'chai'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import { ENTERPRISE, GROUP, LIST_RESPONSE, USER, type Resource } from '../helpers/scim-fixtures.ts'

const SPC = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'
const RESOURCE_TYPE = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType'
const SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema'

/** RFC 7644 §4 and RFC 7643 §5–7: what an IdP reads before provisioning. */
describe('discovery endpoints', () => {
  let started: StartedGateway
  let scim: ScimClient

  before(async () => {
    started = await startGateway()
    scim = scimClient({ baseUrl: started.scimUrl, token: await started.token('demo', 'directory') })
  })
  after(() => started.close())

  async function get200(path: string): Promise<Resource> {
    const res = await scim.get(path)
    expect(res.status, path).to.equal(200)
    expect(res.headers.get('content-type')).to.match(/^application\/scim\+json/)
    return objectOf(res)
  }

  describe('/ServiceProviderConfig', () => {
    it('advertises patch, filter, sort and etag, and no bulk', async () => {
      const config = await get200('/ServiceProviderConfig')
      expect(config.schemas).to.deep.equal([SPC])
      expect(config.patch).to.deep.equal({ supported: true })
      expect(config.sort).to.deep.equal({ supported: true })
      expect(config.etag).to.deep.equal({ supported: true })
      expect(config.changePassword).to.deep.equal({ supported: false })
      expect(config.filter).to.deep.include({ supported: true, maxResults: 1000 })
      const bulk = config.bulk as Resource
      expect(bulk.supported).to.equal(false)
      expect(bulk.maxPayloadSize).to.equal(1024 * 1024)
      const schemes = config.authenticationSchemes as Resource[]
      expect(schemes.map((s) => s.type)).to.deep.equal(['oauthbearertoken'])
    })

    it('is served identically at /serviceConfiguration', async () => {
      expect(await get200('/serviceConfiguration')).to.deep.equal(
        await get200('/ServiceProviderConfig'),
      )
    })
  })

  describe('/ResourceTypes', () => {
    it('is a ListResponse of User first, then Group', async () => {
      const list = await get200('/ResourceTypes')
      expect(list.schemas).to.deep.equal([LIST_RESPONSE])
      expect(list).to.include({ totalResults: 2, itemsPerPage: 2, startIndex: 1 })
      const [user, group] = list.Resources as Resource[]
      expect(user).to.deep.include({
        schemas: [RESOURCE_TYPE],
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        schema: USER,
      })
      expect(user?.schemaExtensions).to.deep.equal([{ schema: ENTERPRISE, required: false }])
      expect(group).to.deep.include({
        id: 'Group',
        name: 'Group',
        endpoint: '/Groups',
        schema: GROUP,
      })
      expect((user?.meta as Resource).location).to.equal(`${started.scimUrl}/ResourceTypes/User`)
    })

    it('serves each resource type by name, and 404s an unknown one', async () => {
      expect((await get200('/ResourceTypes/User')).endpoint).to.equal('/Users')
      expect((await get200('/ResourceTypes/Group')).endpoint).to.equal('/Groups')
      expectScimError(await scim.get('/ResourceTypes/Device'), 404)
    })
  })

  describe('/Schemas', () => {
    it('is a ListResponse with the User, EnterpriseUser and Group schemas', async () => {
      const list = await get200('/Schemas')
      expect(list.schemas).to.deep.equal([LIST_RESPONSE])
      const resources = list.Resources as Resource[]
      expect(resources.map((s) => s.id)).to.deep.equal([USER, ENTERPRISE, GROUP])
      expect(list).to.include({ totalResults: 3, itemsPerPage: 3 })
      for (const schema of resources) {
        expect(schema.schemas).to.deep.equal([SCHEMA])
        expect(schema.attributes).to.be.an('array').that.is.not.empty
      }
    })

    it('describes userName as required and server-unique, and password as never returned', async () => {
      const user = await get200(`/Schemas/${USER}`)
      const attributes = user.attributes as Resource[]
      expect(attributes.find((a) => a.name === 'userName')).to.deep.include({
        type: 'string',
        required: true,
        uniqueness: 'server',
        caseExact: false,
      })
      expect(attributes.find((a) => a.name === 'password')).to.deep.include({
        mutability: 'writeOnly',
        returned: 'never',
      })
      const group = await get200(`/Schemas/${GROUP}`)
      expect((group.attributes as Resource[]).map((a) => a.name)).to.include.members([
        'displayName',
        'members',
      ])
    })

    it('serves each schema by URN, equal to its entry in the list', async () => {
      const list = (await get200('/Schemas')).Resources as Resource[]
      for (const urn of [USER, ENTERPRISE, GROUP]) {
        const one = await get200(`/Schemas/${urn}`)
        expect(one.id).to.equal(urn)
        expect(one).to.deep.equal(list.find((s) => s.id === urn))
        expect((one.meta as Resource).location).to.equal(`${started.scimUrl}/Schemas/${urn}`)
      }
    })

    it('404s an unknown schema URN', async () => {
      expectScimError(await scim.get('/Schemas/urn:example:params:scim:schemas:Unknown'), 404)
      expectScimError(await scim.get('/Schemas/nonsense'), 404)
    })
  })

  describe('authentication', () => {
    it('answers 401 with WWW-Authenticate for discovery without a valid token', async () => {
      const anonymous = scimClient({ baseUrl: started.scimUrl, token: 'scgw_nottoken' })
      for (const path of ['/ServiceProviderConfig', '/ResourceTypes', '/Schemas']) {
        const res = await anonymous.get(path)
        expectScimError(res, 401)
        expect(res.headers.get('www-authenticate')).to.match(/^Bearer/)
      }
    })
  })
})
