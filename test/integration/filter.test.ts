import { setTimeout as delay } from 'node:timers/promises'
import { expect } from 'chai'
import { peopleOf, seedPeople, type Person } from '../helpers/people.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import { filterQuery, metaOf, patchOf, userNamesOf } from '../helpers/scim-fixtures.ts'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'

describe('GET /Users?filter= (RFC 7644 §3.4.2.2)', () => {
  let started: StartedGateway
  let scim: ScimClient
  let ids: Record<Person, string>

  before(async () => {
    started = await startGateway()
    scim = scimClient({ baseUrl: started.scimUrl, token: await started.token('demo', 'directory') })
    ids = await seedPeople(scim)
  })
  after(() => started.close())

  /** The short names a filter matches, sorted, checking totalResults agrees. */
  async function matching(filter: string): Promise<string[]> {
    const res = await scim.get(`/Users?${filterQuery(filter)}`)
    const names = peopleOf(userNamesOf(res))
    expect(objectOf(res).totalResults, filter).to.equal(names.length)
    return names.sort()
  }

  const cases: [string, string[]][] = [
    ['userName eq "anna.smith@EXAMPLE.com"', ['anna']],
    ['USERNAME Eq "Anna.Smith@example.com"', ['anna']],
    ['name.FAMILYNAME eq "smith"', ['anna']],
    ['externalId eq "ext-bob"', ['bob']],
    ['externalId eq "EXT-BOB"', []],
    ['title ne "Engineer"', ['bob', 'carl', 'dora']],
    ['userName co "EXAMPLE.ORG"', ['carl', 'dora']],
    ['userName sw "bob"', ['bob']],
    ['userName ew ".org"', ['carl', 'dora']],
    ['userName gt "c"', ['carl', 'dora', 'eve']],
    ['userName ge "carl.adams@example.org"', ['carl', 'dora', 'eve']],
    ['userName lt "bob"', ['anna']],
    ['userName le "BOB.JONES@example.com"', ['anna', 'bob']],
    ['title pr', ['anna', 'bob', 'dora', 'eve']],
    ['externalId pr', ['anna', 'bob']],
    ['emails pr', ['anna', 'bob', 'carl']],
    ['active eq false', ['bob']],
    ['active eq true', ['anna', 'carl', 'dora', 'eve']],
    ['title pr and active eq false', ['bob']],
    ['userName sw "anna" or userName sw "carl"', ['anna', 'carl']],
    ['not (userName co "example.com")', ['carl', 'dora']],
    ['(title sw "eng" or title eq "Manager") and active eq true', ['anna', 'dora', 'eve']],
    ['title sw "eng" or (title eq "Manager" and active eq true)', ['anna', 'dora', 'eve']],
    ['emails[type eq "work" and value co "anna"]', ['anna']],
    ['emails[type eq "home"]', ['anna', 'carl']],
    ['emails[type eq "work"].value eq "bob@work.example"', ['bob']],
    ['emails.value ew "home.example"', ['anna', 'carl']],
    ['emails co "bob@"', ['bob']],
    ['emails[not (type eq "work")]', ['anna', 'carl']],
    ['userName eq "nobody@example.com"', []],
    ['meta.resourceType eq "User"', ['anna', 'bob', 'carl', 'dora', 'eve']],
    ['meta.created gt "2000-01-01T00:00:00Z"', ['anna', 'bob', 'carl', 'dora', 'eve']],
    ['meta.lastModified lt "2000-01-01T00:00:00Z"', []],
  ]
  for (const [filter, expected] of cases) {
    it(`matches ${JSON.stringify(expected)} for ${filter}`, async () => {
      expect(await matching(filter)).to.deep.equal(expected)
    })
  }

  it('finds users by id, alone and combined with other conditions', async () => {
    expect(await matching(`id eq "${ids.carl}"`)).to.deep.equal(['carl'])
    expect(await matching(`id eq "${ids.carl}" and active eq false`)).to.deep.equal([])
    expect(await matching(`id eq "${ids.carl}" or id eq "${ids.eve}"`)).to.deep.equal([
      'carl',
      'eve',
    ])
  })

  it('finds the users changed after a moment with meta.lastModified gt', async () => {
    const before = objectOf(await scim.get(`/Users/${ids.eve}`))
    const mark = metaOf(before).lastModified ?? ''
    // Bounded: the clock passes the last write within a few milliseconds.
    for (let i = 0; i < 100 && Date.now() <= Date.parse(mark); i++) await delay(2)
    const res = await scim.patch(
      `/Users/${ids.bob}`,
      patchOf({ op: 'replace', path: 'nickName', value: 'Bobby' }),
    )
    expect(res.status).to.equal(204)
    expect(await matching(`meta.lastModified gt "${mark}"`)).to.deep.equal(['bob'])
    expect(await matching(`meta.lastModified le "${mark}"`)).to.deep.equal([
      'anna',
      'carl',
      'dora',
      'eve',
    ])
  })

  it('filters groups by displayName in any case, and by member value', async () => {
    const created = await scim.post('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Filter Team',
      members: [{ value: ids.anna }],
    })
    expect(created.status).to.equal(201)
    for (const filter of [
      'displayName eq "filter team"',
      'DisplayName sw "FILTER"',
      `members[value eq "${ids.anna}"]`,
      `members.value eq "${ids.anna}"`,
    ]) {
      const list = objectOf(await scim.get(`/Groups?${filterQuery(filter)}`))
      expect(list.totalResults, filter).to.equal(1)
    }
    const none = objectOf(await scim.get(`/Groups?${filterQuery(`members eq "${ids.bob}"`)}`))
    expect(none.totalResults).to.equal(0)
  })

  it('answers 400 invalidFilter for filters that do not parse or name unknown attributes', async () => {
    for (const filter of [
      'userName eq',
      'userName zz "x"',
      '(userName eq "x"',
      'userName eq "x")',
      'userName eq "x" and',
      'bogusAttribute eq "x"',
      'emails[type eq "work"',
      'active gt true',
      'meta.created gt "not a date"',
      'userName eq "unterminated',
    ]) {
      expectScimError(await scim.get(`/Users?${filterQuery(filter)}`), 400, 'invalidFilter')
    }
    expect((await scim.get('/Users')).status).to.equal(200)
  })
})
