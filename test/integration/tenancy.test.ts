import { expect } from 'chai'
import { expectScimError, objectOf, scimClient } from '../helpers/scim-client.ts'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

const tenantFile = (tenant: string, extra = '') =>
  `tenant: ${tenant}\nconnections:\n  directory:\n    connector: directory\n${extra}`

describe('one URL for every tenant, strict isolation', () => {
  let started: StartedGateway
  let demoToken = ''
  let acmeToken = ''
  let demoUserId = ''
  let demoGroupId = ''

  before(async () => {
    started = await startGateway({
      tenants: {
        demo: tenantFile('demo', '  hr:\n    connector: directory\n'),
        acme: tenantFile('acme'),
        limited: tenantFile('limited', '    rateLimit: { requestsPerSecond: 0.01, burst: 3 }\n'),
      },
    })
    demoToken = await started.token('demo', 'directory')
    acmeToken = await started.token('acme', 'directory')
    const demo = scimClient({ baseUrl: started.scimUrl, token: demoToken })
    demoUserId = objectOf(
      await demo.post('/Users', {
        schemas: [USER],
        userName: 'shared@example.com',
        externalId: 'x1',
      }),
    ).id as string
    demoGroupId = objectOf(
      await demo.post('/Groups', {
        schemas: [GROUP],
        displayName: 'Admins',
        members: [{ value: demoUserId }],
      }),
    ).id as string
  })
  after(() => started.close())

  it('serves the same token on the one URL and on its explicit tenant URL', async () => {
    const one = await scimClient({ baseUrl: started.scimUrl, token: demoToken }).get(
      `/Users/${demoUserId}`,
    )
    const explicit = await scimClient({
      baseUrl: `${started.origin}/t/demo/directory/scim/v2`,
      token: demoToken,
    }).get(`/Users/${demoUserId}`)
    expect(one.status).to.equal(200)
    expect(explicit.status).to.equal(200)
    expect((objectOf(explicit).meta as Record<string, unknown>).location).to.equal(
      `${started.origin}/t/demo/directory/scim/v2/Users/${demoUserId}`,
    )
  })

  it('answers a token used on another tenant or connection path exactly like a bad token', async () => {
    const bad = await fetch(`${started.scimUrl}/Users`, {
      headers: { authorization: 'Bearer nope' },
    })
    const expected = await bad.text()
    for (const path of [
      '/t/acme/directory/scim/v2/Users',
      '/t/demo/hr/scim/v2/Users',
      '/t/nobody/directory/scim/v2/Users',
      '/t/demo/nothing/scim/v2/Users',
      '/t/..%2Facme/directory/scim/v2/Users',
      '/t/DEMO/directory/scim/v2/Users',
      '/t/demo%00/directory/scim/v2/Users',
    ]) {
      const res = await fetch(`${started.origin}${path}`, {
        headers: { authorization: `Bearer ${demoToken}` },
      })
      expect(res.status, path).to.equal(401)
      expect(await res.text(), path).to.equal(expected)
    }
  })

  it("never lets one tenant read, list, filter, change or delete another tenant's users and groups", async () => {
    const acme = scimClient({ baseUrl: started.scimUrl, token: acmeToken })
    expectScimError(await acme.get(`/Users/${demoUserId}`), 404)
    expectScimError(await acme.get(`/Groups/${demoGroupId}`), 404)
    expectScimError(
      await acme.put(`/Users/${demoUserId}`, { schemas: [USER], userName: 'stolen@example.com' }),
      404,
    )
    expectScimError(
      await acme.patch(`/Users/${demoUserId}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      }),
      404,
    )
    expectScimError(
      await acme.patch(`/Groups/${demoGroupId}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'remove', path: 'members' }],
      }),
      404,
    )
    expectScimError(await acme.delete(`/Users/${demoUserId}`), 404)
    expectScimError(await acme.delete(`/Groups/${demoGroupId}`), 404)
    for (const query of [
      '',
      `?filter=${encodeURIComponent('userName eq "shared@example.com"')}`,
      `?filter=${encodeURIComponent('externalId eq "x1"')}`,
    ]) {
      expect(objectOf(await acme.get(`/Users${query}`)).totalResults, query).to.equal(0)
    }
    expect(objectOf(await acme.get('/Groups')).totalResults).to.equal(0)
    // acme can hold the same userName: uniqueness is per connection.
    expect(
      (await acme.post('/Users', { schemas: [USER], userName: 'shared@example.com' })).status,
    ).to.equal(201)
    // acme cannot add demo's user to its own group.
    const group = objectOf(await acme.post('/Groups', { schemas: [GROUP], displayName: 'Admins' }))
    expectScimError(
      await acme.patch(`/Groups/${group.id as string}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value: [{ value: demoUserId }] }],
      }),
      404,
    )
    const demo = scimClient({ baseUrl: started.scimUrl, token: demoToken })
    const still = objectOf(await demo.get(`/Groups/${demoGroupId}`))
    expect((still.members as { value: string }[]).map((m) => m.value)).to.deep.equal([demoUserId])
    expect(objectOf(await demo.get(`/Users/${demoUserId}`)).userName).to.equal('shared@example.com')
  })

  it('keeps two connections of one tenant apart', async () => {
    const hr = scimClient({ baseUrl: started.scimUrl, token: await started.token('demo', 'hr') })
    expectScimError(await hr.get(`/Users/${demoUserId}`), 404)
    expect(objectOf(await hr.get('/Users')).totalResults).to.equal(0)
  })

  it('answers 429 with Retry-After once a connection spends its rate budget, and only that connection', async () => {
    const limited = scimClient({
      baseUrl: started.scimUrl,
      token: await started.token('limited', 'directory'),
    })
    const statuses: number[] = []
    let retryAfter: string | null = null
    for (let i = 0; i < 6; i++) {
      const res = await limited.get('/Users')
      statuses.push(res.status)
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after')
        expectScimError(res, 429)
      }
    }
    expect(statuses.slice(0, 3)).to.deep.equal([200, 200, 200])
    expect(statuses).to.include(429)
    expect(Number(retryAfter)).to.be.at.least(1)
    expect(
      (await scimClient({ baseUrl: started.scimUrl, token: demoToken }).get('/Users')).status,
    ).to.equal(200)
  })
})
