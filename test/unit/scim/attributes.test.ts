import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import { parse } from 'yaml'
import {
  applyProjection,
  parseAttributeList,
  wantsAttribute,
} from '../../../src/scim/attributes.ts'
import { ScimError } from '../../../src/scim/errors.ts'
import type { JsonValue, Projection, ResourceType, ScimResource } from '../../../src/scim/types.ts'

interface ProjectCase {
  name: string
  type: ResourceType
  resource: ScimResource
  projection: Projection
  expected: ScimResource
}

interface WantsCase {
  type: ResourceType
  projection: Projection
  path: string
  expected: boolean
}

interface ParseCase {
  input: JsonValue
  expected?: string[] | null
  error?: true
}

interface ProjectionFixture {
  project: ProjectCase[]
  wants: WantsCase[]
  parse: ParseCase[]
}

const fixture = parse(
  readFileSync(new URL('../../fixtures/projection-cases.yaml', import.meta.url), 'utf8'),
) as ProjectionFixture

describe('applyProjection', () => {
  it('loads a table of dozens of cases', () => {
    expect(fixture.project.length).to.be.greaterThan(30)
  })

  for (const c of fixture.project) {
    it(`${c.type}: ${c.name}`, () => {
      const before = structuredClone(c.resource)
      expect(applyProjection(c.type, c.resource, c.projection)).to.deep.equal(c.expected)
      // Pure: the stored resource is never altered.
      expect(c.resource).to.deep.equal(before)
    })
  }

  it('returns a new object even when nothing is projected away', () => {
    const resource: ScimResource = { id: '1', userName: 'u' }
    expect(applyProjection('User', resource, {})).not.to.equal(resource)
  })

  it('copes with thousands of names in a list', () => {
    const attributes = Array.from({ length: 10_000 }, (_, i) => `bogus${i}`).concat('userName')
    const result = applyProjection('User', { id: '1', userName: 'u', title: 't' }, { attributes })
    expect(result).to.deep.equal({ id: '1', userName: 'u' })
  })
})

describe('wantsAttribute', () => {
  for (const c of fixture.wants) {
    it(`${c.type} ${JSON.stringify(c.projection)} ${c.path} → ${String(c.expected)}`, () => {
      expect(wantsAttribute(c.type, c.projection, c.path)).to.equal(c.expected)
    })
  }
})

describe('parseAttributeList', () => {
  for (const c of fixture.parse) {
    it(`${JSON.stringify(c.input)} → ${c.error ? 'invalidValue' : JSON.stringify(c.expected)}`, () => {
      if (c.error) {
        expect(() => parseAttributeList(c.input))
          .to.throw(ScimError)
          .with.property('scimType', 'invalidValue')
        return
      }
      expect(parseAttributeList(c.input)).to.deep.equal(c.expected ?? undefined)
    })
  }

  it('answers undefined when the parameter is absent', () => {
    expect(parseAttributeList(undefined)).to.equal(undefined)
  })

  it('names the parameter in its error', () => {
    expect(() => parseAttributeList(5, 'excludedAttributes')).to.throw(/^excludedAttributes /)
  })
})
