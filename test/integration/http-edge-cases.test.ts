// Regressions: root search sorting, corrupt compressed bodies, malformed path escapes.
import { gzipSync } from 'node:zlib'
import { expect } from 'chai'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import { createGroup, createUser, resourcesOf, searchOf } from '../helpers/scim-fixtures.ts'

describe('HTTP edge cases', () => {
  let started: StartedGateway
  let scim: ScimClient
  let token = ''
  before(async () => {
    started = await startGateway()
    token = await started.token('demo', 'directory')
    scim = scimClient({ baseUrl: started.scimUrl, token })
    await createUser(scim, 'a@example.com', { displayName: 'Alpha' })
    await createUser(scim, 'b@example.com', { displayName: 'Bravo' })
    await createGroup(scim, 'Charlie')
  })
  after(() => started.close())

  it('root POST /.search honours sortBy', async () => {
    const res = await scim.post(
      '/.search',
      searchOf({ sortBy: 'displayName', sortOrder: 'descending' }),
    )
    expect(resourcesOf(res).map((r) => r.displayName)).to.deep.equal(['Charlie', 'Bravo', 'Alpha'])
  })

  it('answers a corrupt gzip body with 400, not 500', async () => {
    const res = await fetch(`${started.scimUrl}/Users`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/scim+json',
        'content-encoding': 'gzip',
      },
      body: 'not gzip',
    })
    expect(res.status).to.equal(400)
    const ok = await fetch(`${started.scimUrl}/Users`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/scim+json',
        'content-encoding': 'gzip',
      },
      body: gzipSync(
        JSON.stringify({
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: 'gz@example.com',
        }),
      ),
    })
    expect(ok.status).to.equal(201)
  })

  it('answers a malformed percent-encoded id with 400 invalidSyntax, and keeps serving', async () => {
    const res = await scim.get('/Users/%E0%A4%A')
    expectScimError(res, 400, 'invalidSyntax')
    // Alpha, Bravo and the user the gzip test made.
    expect(objectOf(await scim.get('/Users')).totalResults).to.equal(3)
  })
})
