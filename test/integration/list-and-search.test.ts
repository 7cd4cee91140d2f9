import { expect } from 'chai'
import { PEOPLE, peopleOf, seedPeople, type Person } from '../helpers/people.ts'
import { expectScimError, objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'
import {
  createGroup,
  filterQuery,
  resourcesOf,
  searchOf,
  userNamesOf,
  type Resource,
} from '../helpers/scim-fixtures.ts'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'

const ALL = ['anna', 'bob', 'carl', 'dora', 'eve']

describe('lists: sorting, paging, projections and searches', () => {
  let started: StartedGateway
  let scim: ScimClient
  let ids: Record<Person, string>
  let groupId = ''

  before(async () => {
    started = await startGateway()
    scim = scimClient({ baseUrl: started.scimUrl, token: await started.token('demo', 'directory') })
    ids = await seedPeople(scim)
    groupId = String((await createGroup(scim, 'Team Anna', [ids.anna, ids.bob])).id)
  })
  after(() => started.close())

  const people = async (query: string) => peopleOf(userNamesOf(await scim.get(`/Users?${query}`)))

  describe('sortBy and sortOrder', () => {
    it('sorts by userName case-insensitively, ascending by default and on request', async () => {
      expect(await people('sortBy=userName')).to.deep.equal(ALL)
      expect(await people('sortBy=userName&sortOrder=ascending')).to.deep.equal(ALL)
    })

    it('sorts by userName descending', async () => {
      expect(await people('sortBy=userName&sortOrder=descending')).to.deep.equal([...ALL].reverse())
    })

    it('sorts by name.familyName (not indexed), case-insensitively, both ways', async () => {
      const ascending = ['carl', 'eve', 'bob', 'anna', 'dora']
      expect(await people('sortBy=name.familyName')).to.deep.equal(ascending)
      expect(await people('sortBy=NAME.familyname&sortOrder=descending')).to.deep.equal(
        [...ascending].reverse(),
      )
    })

    it('sorts a filtered list, and pages through the sorted result', async () => {
      const query = `${filterQuery('active eq true')}&sortBy=name.familyName&sortOrder=descending`
      expect(await people(query)).to.deep.equal(['dora', 'anna', 'eve', 'carl'])
      const page = await scim.get(`/Users?${query}&startIndex=2&count=2`)
      expect(peopleOf(userNamesOf(page))).to.deep.equal(['anna', 'eve'])
      expect(objectOf(page)).to.include({ totalResults: 4, itemsPerPage: 2, startIndex: 2 })
    })

    // RFC 7644 §3.4.2.3: no value sorts last if ascending and first if descending.
    it('puts users without a title last when ascending and first when descending', async () => {
      const ascending = await people('sortBy=title')
      expect(ascending.slice(0, 2).sort()).to.deep.equal(['anna', 'eve'])
      expect(ascending.slice(2)).to.deep.equal(['dora', 'bob', 'carl'])
      const descending = await people('sortBy=title&sortOrder=descending')
      expect(descending.slice(0, 3)).to.deep.equal(['carl', 'bob', 'dora'])
      expect(descending.slice(3).sort()).to.deep.equal(['anna', 'eve'])
    })

    it('orders missing values the same way on indexed columns, with and without a filter', async () => {
      const inMemory = filterQuery('userName pr or title pr')
      for (const [sortBy, present] of [
        ['externalId', ['anna', 'bob']],
        ['displayName', ['anna']],
      ] as const) {
        for (const query of [`sortBy=${sortBy}`, `sortBy=${sortBy}&${inMemory}`]) {
          const ascending = await people(`${query}&sortOrder=ascending`)
          expect(ascending.slice(0, present.length), query).to.deep.equal(present)
          const absent = ALL.filter((p) => !(present as readonly string[]).includes(p))
          expect(ascending.slice(present.length), query).to.have.members(absent)
          const descending = await people(`${query}&sortOrder=descending`)
          expect(descending.slice(-present.length), query).to.deep.equal([...present].reverse())
          expect(descending.slice(0, absent.length), query).to.have.members(absent)
        }
      }
    })

    it('sorts by groups.display also when groups are not returned', async () => {
      // Only anna and bob are in a group: descending puts the three without one first.
      const expected = ['carl', 'dora', 'eve', 'anna', 'bob']
      for (const projection of ['', '&attributes=userName', '&excludedAttributes=groups']) {
        const query = `sortBy=groups.display&sortOrder=descending${projection}`
        expect(await people(query), query).to.deep.equal(expected)
      }
    })

    it('sorts by meta.created (creation order) both ways', async () => {
      expect(await people('sortBy=meta.created')).to.deep.equal(ALL)
      expect(await people('sortBy=meta.created&sortOrder=descending')).to.deep.equal(
        [...ALL].reverse(),
      )
    })

    it('refuses an unknown sortBy and a bad sortOrder with 400 invalidValue', async () => {
      expectScimError(await scim.get('/Users?sortBy=noSuchThing'), 400, 'invalidValue')
      expectScimError(await scim.get('/Users?sortBy=userName&sortOrder=up'), 400, 'invalidValue')
      expectScimError(await scim.get('/Users?sortBy=password'), 400, 'invalidValue')
    })
  })

  describe('startIndex and count', () => {
    it('pages in sort order with RFC list metadata', async () => {
      const res = await scim.get('/Users?sortBy=userName&startIndex=2&count=2')
      expect(peopleOf(userNamesOf(res))).to.deep.equal(['bob', 'carl'])
      expect(objectOf(res)).to.include({ totalResults: 5, itemsPerPage: 2, startIndex: 2 })
    })

    it('answers totalResults only for count=0, on indexed and in-memory filters', async () => {
      for (const query of ['count=0', `count=0&${filterQuery('title pr')}`]) {
        const list = objectOf(await scim.get(`/Users?${query}`))
        expect(list.Resources, query).to.deep.equal([])
        expect(list.itemsPerPage, query).to.equal(0)
      }
      expect(objectOf(await scim.get('/Users?count=0')).totalResults).to.equal(5)
      expect(
        objectOf(await scim.get(`/Users?count=0&${filterQuery('title pr')}`)).totalResults,
      ).to.equal(4)
    })

    it('treats startIndex below 1 as 1, and answers an empty page past the end', async () => {
      const first = objectOf(await scim.get('/Users?startIndex=0&count=1&sortBy=userName'))
      expect(first.startIndex).to.equal(1)
      expect(
        peopleOf(((first.Resources as Resource[]) ?? []).map((r) => String(r.userName))),
      ).to.deep.equal(['anna'])
      const past = objectOf(await scim.get('/Users?startIndex=50'))
      expect(past).to.include({ totalResults: 5, itemsPerPage: 0, startIndex: 50 })
      expect(past.Resources).to.deep.equal([])
    })

    it('refuses a count or startIndex that is not an integer with 400 invalidValue', async () => {
      for (const query of ['count=abc', 'count=1.5', 'startIndex=x', 'count=']) {
        expectScimError(await scim.get(`/Users?${query}`), 400, 'invalidValue')
      }
    })
  })

  describe('attributes and excludedAttributes', () => {
    it('returns only the named attributes (and id, schemas) for ?attributes=', async () => {
      for (const r of resourcesOf(await scim.get('/Users?attributes=userName'))) {
        expect(Object.keys(r).sort()).to.deep.equal(['id', 'schemas', 'userName'])
      }
      const names = resourcesOf(await scim.get('/Users?attributes=name.familyName&sortBy=userName'))
      expect(names[0]?.name).to.deep.equal({ familyName: 'Smith' })
    })

    it('drops the excluded attributes and keeps the rest for ?excludedAttributes=', async () => {
      const list = resourcesOf(await scim.get('/Users?excludedAttributes=emails,name'))
      expect(list).to.have.length(5)
      for (const r of list) {
        expect(r).to.not.have.property('emails')
        expect(r).to.not.have.property('name')
        expect(r.userName).to.be.a('string')
        expect(r.id).to.be.a('string')
      }
    })

    it('GET /Groups lists members, and ?excludedAttributes=members omits them', async () => {
      const [withMembers] = resourcesOf(await scim.get('/Groups'))
      expect((withMembers?.members as Resource[]).map((m) => m.value).sort()).to.deep.equal(
        [ids.anna, ids.bob].sort(),
      )
      const groups = resourcesOf(await scim.get('/Groups?excludedAttributes=members'))
      expect(groups.map((g) => g.id)).to.deep.equal([groupId])
      expect(groups[0]).to.not.have.property('members')
      expect(groups[0]?.displayName).to.equal('Team Anna')
    })
  })

  describe('POST /Users/.search and POST /.search', () => {
    it('searches users with filter, sortBy, sortOrder, startIndex, count and attributes', async () => {
      const res = await scim.post(
        '/Users/.search',
        searchOf({
          filter: 'title pr',
          sortBy: 'userName',
          sortOrder: 'descending',
          startIndex: 1,
          count: 3,
          attributes: ['userName', 'title'],
        }),
      )
      const list = objectOf(res)
      expect(list).to.include({ totalResults: 4, itemsPerPage: 3, startIndex: 1 })
      const resources = resourcesOf(res)
      expect(peopleOf(resources.map((r) => String(r.userName)))).to.deep.equal([
        'eve',
        'dora',
        'bob',
      ])
      for (const r of resources)
        expect(Object.keys(r).sort()).to.deep.equal(['id', 'schemas', 'title', 'userName'])
    })

    it('refuses a search body without the SearchRequest schema (400 invalidSyntax)', async () => {
      expectScimError(
        await scim.post('/Users/.search', { filter: 'title pr' }),
        400,
        'invalidSyntax',
      )
    })

    it('searches users and groups at the root', async () => {
      const res = await scim.post('/.search', searchOf({ filter: 'displayName co "anna"' }))
      const resources = resourcesOf(res)
      expect(objectOf(res).totalResults).to.equal(2)
      const found = resources.map((r) => [(r.meta as Record<string, unknown>).resourceType, r.id])
      expect(found).to.deep.include.members([
        ['User', ids.anna],
        ['Group', groupId],
      ])
    })

    it('answers a root search whose filter fits only users with just users', async () => {
      const res = await scim.post(
        '/.search',
        searchOf({ filter: `userName eq "${PEOPLE.carl.userName}"` }),
      )
      expect(resourcesOf(res).map((r) => r.id)).to.deep.equal([ids.carl])
    })
  })
})

describe('lists on a gateway with scim.maxResults 3', () => {
  let started: StartedGateway
  let scim: ScimClient

  before(async () => {
    started = await startGateway({
      gatewayYaml:
        'listen: { host: 127.0.0.1, port: 0 }\nscim: { maxResults: 3, defaultCount: 2 }\n',
    })
    scim = scimClient({ baseUrl: started.scimUrl, token: await started.token('demo', 'directory') })
    await seedPeople(scim)
  })
  after(() => started.close())

  it('caps a count above the maximum instead of refusing it', async () => {
    const list = objectOf(await scim.get('/Users?count=1000&sortBy=userName'))
    expect(list).to.include({ totalResults: 5, itemsPerPage: 3, startIndex: 1 })
    const search = objectOf(await scim.post('/Users/.search', searchOf({ count: 50 })))
    expect(search).to.include({ totalResults: 5, itemsPerPage: 3 })
  })

  it('uses defaultCount when no count is given, and advertises maxResults', async () => {
    expect(objectOf(await scim.get('/Users'))).to.include({ totalResults: 5, itemsPerPage: 2 })
    const config = objectOf(await scim.get('/ServiceProviderConfig'))
    expect(config.filter).to.deep.equal({ supported: true, maxResults: 3 })
  })
})
