import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import { parse } from 'yaml'
import { ScimError, type ScimType } from '../../../src/scim/errors.ts'
import {
  readListParams,
  type ListParams,
  type ListParamsOptions,
} from '../../../src/scim/list-params.ts'
import type { ResourceType } from '../../../src/scim/types.ts'

interface ListParamsCase {
  name: string
  type?: ResourceType
  options?: ListParamsOptions
  searchRequest?: boolean
  source: Record<string, unknown>
  expected?: ListParams
  error?: { scimType: ScimType; detail: string }
}

interface ListParamsFixture {
  options: ListParamsOptions
  cases: ListParamsCase[]
}

const fixture = parse(
  readFileSync(new URL('../../fixtures/list-params-cases.yaml', import.meta.url), 'utf8'),
) as ListParamsFixture

describe('readListParams', () => {
  it('loads a table of dozens of cases', () => {
    expect(fixture.cases.length).to.be.greaterThan(50)
  })

  for (const c of fixture.cases) {
    const where = c.searchRequest ? 'body' : 'query'
    it(`${where}: ${c.name}`, () => {
      const options = { ...(c.options ?? fixture.options), searchRequest: c.searchRequest === true }
      const run = () => readListParams(c.source, options, c.type ?? 'User')
      if (c.expected) {
        expect(run()).to.deep.equal(c.expected)
        return
      }
      if (!c.error) expect.fail('a case needs expected or error')
      try {
        run()
      } catch (err) {
        expect(err).to.be.instanceOf(ScimError)
        const scimError = err as ScimError
        expect(scimError.status).to.equal(400)
        expect(scimError.scimType).to.equal(c.error.scimType)
        expect(scimError.detail).to.include(c.error.detail)
        return
      }
      expect.fail('expected a ScimError')
    })
  }

  it('answers integers, never strings (Okta needs integer list metadata)', () => {
    const params = readListParams({ startIndex: '7', count: '8' }, fixture.options, 'User')
    expect(params.startIndex).to.be.a('number').and.equal(7)
    expect(params.count).to.be.a('number').and.equal(8)
  })

  it('bounds the client text it echoes in an error', () => {
    const sortBy = 'x'.repeat(100_000)
    expect(() => readListParams({ sortBy }, fixture.options, 'User'))
      .to.throw(ScimError)
      .with.property('detail')
      .that.has.length.below(200)
  })

  it('does not alter its source', () => {
    const source = { startIndex: '-1', count: '5000', attributes: 'a, b' }
    const before = structuredClone(source)
    readListParams(source, fixture.options, 'User')
    expect(source).to.deep.equal(before)
  })
})
