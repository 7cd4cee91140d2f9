import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import { filter as filterRaw, parse as parseRaw } from 'scim2-parse-filter'
import { parse as parseYaml } from 'yaml'
import { ScimError } from '../../../src/scim/errors.ts'
import { parseFilter } from '../../../src/scim/filter.ts'
import { matchesFilter } from '../../../src/scim/filter-match.ts'
import { isJsonObject, type JsonObject, type ResourceType } from '../../../src/scim/types.ts'

interface MatchCase {
  resource: string
  type: ResourceType
  filter: string
  match: boolean
}

function toMatchCase(raw: unknown): MatchCase {
  if (
    !isJsonObject(raw) ||
    typeof raw.resource !== 'string' ||
    typeof raw.filter !== 'string' ||
    typeof raw.match !== 'boolean'
  ) {
    throw new Error(`bad fixture ${JSON.stringify(raw)}`)
  }
  const type = raw.type === 'Group' ? 'Group' : 'User'
  return { resource: raw.resource, type, filter: raw.filter, match: raw.match }
}

function loadCases(): { resources: JsonObject; cases: MatchCase[] } {
  const url = new URL('../../fixtures/filter-match-cases.yaml', import.meta.url)
  const data: unknown = parseYaml(readFileSync(url, 'utf8'))
  if (!isJsonObject(data) || !isJsonObject(data.resources) || !Array.isArray(data.cases)) {
    throw new Error('filter-match-cases.yaml needs `resources` and `cases`')
  }
  return { resources: data.resources, cases: data.cases.map(toMatchCase) }
}

const { resources, cases } = loadCases()

function resourceNamed(name: string): JsonObject {
  const resource = resources[name]
  if (!isJsonObject(resource)) throw new Error(`no resource ${name} in the fixture`)
  return resource
}

describe('matchesFilter', () => {
  for (const c of cases) {
    it(`${c.match ? 'matches' : 'does not match'} ${c.resource} with ${c.filter}`, () => {
      const filter = parseFilter(c.type, c.filter)
      expect(matchesFilter(c.type, filter, resourceNamed(c.resource))).to.equal(c.match)
    })
  }

  it('answers invalidFilter for a hand-built filter naming an unknown attribute', () => {
    const call = () =>
      matchesFilter('User', { op: 'eq', attrPath: 'nope', compValue: 'x' }, resourceNamed('babs'))
    expect(call).to.throw(ScimError).with.property('scimType', 'invalidFilter')
  })

  describe('why scim2-parse-filter alone is not enough', () => {
    const user = { userName: 'a@b.c' }

    it('raw filter() misses userName sw "A" against a@b.c; matchesFilter matches', () => {
      expect(filterRaw(parseRaw('userName sw "A"'))(user)).to.equal(false)
      expect(matchesFilter('User', parseFilter('User', 'userName sw "A"'), user)).to.equal(true)
    })

    it('raw filter() lets the two halves of emails[…].value match different elements', () => {
      const text = 'emails[type eq "work"].value eq "babs@jensen.org"'
      const babs = resourceNamed('babs')
      expect(filterRaw(parseRaw(text))(babs)).to.equal(true)
      expect(matchesFilter('User', parseFilter('User', text), babs)).to.equal(false)
    })
  })
})
