import { expect } from 'chai'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'
import { expectScimError, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import { createUser, filterQuery, userNamesOf } from '../helpers/scim-fixtures.ts'

/**
 * Filter values reach SQL only as bound parameters and are compared literally: SQL syntax,
 * LIKE wildcards and very long values are just text.
 */
describe('hostile filter values', () => {
  let started: StartedGateway
  let scim: ScimClient
  const injection = `'; DROP TABLE links; --`

  before(async () => {
    started = await startGateway()
    scim = scimClient({ baseUrl: started.scimUrl, token: await started.token('demo', 'directory') })
    for (const userName of [
      'percent%user@example.com',
      'under_score@example.com',
      'plain@example.com',
      'quote"user@example.com',
      'back\\slash@example.com',
    ])
      await createUser(scim, userName, { title: injection })
    await createUser(scim, injection)
  })
  after(() => started.close())

  async function names(filter: string): Promise<string[]> {
    return userNamesOf(await scim.get(`/Users?${filterQuery(filter)}`)).sort()
  }

  it('treats SQL in a value as text, and the links table survives', async () => {
    for (const filter of [
      `externalId eq "${injection}"`,
      `displayName eq "x' OR '1'='1"`,
      `userName co "${injection}x"`,
    ]) {
      expect(await names(filter), filter).to.deep.equal([])
    }
    expect(await names(`title eq "${injection}"`)).to.have.length(5)
    expect(await names(`userName eq "${injection}"`)).to.deep.equal([injection])
    expect(await names(`userName eq "${injection.toUpperCase()}"`)).to.deep.equal([injection])
    const rows = await started.gateway.db('links').count({ n: '*' })
    expect(Number(rows[0]?.n)).to.equal(6)
  })

  it('treats % and _ literally, never as LIKE wildcards', async () => {
    expect(await names('userName co "%"')).to.deep.equal(['percent%user@example.com'])
    expect(await names('userName sw "%"')).to.deep.equal([])
    expect(await names('userName eq "%"')).to.deep.equal([])
    expect(await names('userName co "_"')).to.deep.equal(['under_score@example.com'])
    expect(await names('userName sw "_"')).to.deep.equal([])
    expect(await names('userName eq "plain@example.co_"')).to.deep.equal([])
    expect(await names('userName ew "%.com"')).to.deep.equal([])
  })

  it('reads JSON escapes in values: quotes and backslashes match literally', async () => {
    expect(await names('userName eq "quote\\"user@example.com"')).to.deep.equal([
      'quote"user@example.com',
    ])
    expect(await names('userName eq "back\\\\slash@example.com"')).to.deep.equal([
      'back\\slash@example.com',
    ])
  })

  it('answers a very long value with an empty list, and an over-long filter with invalidFilter', async () => {
    expect(await names(`userName eq "${'a'.repeat(3_000)}"`)).to.deep.equal([])
    expect(await names(`userName co "${'%'.repeat(3_000)}"`)).to.deep.equal([])
    expectScimError(
      await scim.get(`/Users?${filterQuery(`userName eq "${'a'.repeat(10_000)}"`)}`),
      400,
      'invalidFilter',
    )
    expect((await scim.get('/Users')).status).to.equal(200)
  })

  it('answers hostile values in POST /.search bodies the same way', async () => {
    const res = await scim.post('/Users/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: `userName co "%" or userName eq "${injection}"`,
    })
    expect(userNamesOf(res).sort()).to.deep.equal([injection, 'percent%user@example.com'].sort())
  })
})
