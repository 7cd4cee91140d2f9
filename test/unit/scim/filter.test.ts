import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import { parse as parseRaw } from 'scim2-parse-filter'
import { parse as parseYaml } from 'yaml'
import { ScimError } from '../../../src/scim/errors.ts'
import { parseFilter } from '../../../src/scim/filter.ts'
import { isJsonObject, type ResourceType } from '../../../src/scim/types.ts'

interface ParseCase {
  filter: string
  type: ResourceType
  ast?: unknown
  error?: string
}

function toParseCase(raw: unknown): ParseCase {
  if (!isJsonObject(raw) || typeof raw.filter !== 'string') {
    throw new Error(`bad fixture ${JSON.stringify(raw)}`)
  }
  const type = raw.type === 'Group' ? 'Group' : 'User'
  const error = typeof raw.error === 'string' ? raw.error : undefined
  return { filter: raw.filter, type, ast: raw.ast, ...(error === undefined ? {} : { error }) }
}

function loadCases(): { valid: ParseCase[]; invalid: ParseCase[] } {
  const url = new URL('../../fixtures/filter-cases.yaml', import.meta.url)
  const data: unknown = parseYaml(readFileSync(url, 'utf8'))
  if (!isJsonObject(data) || !Array.isArray(data.valid) || !Array.isArray(data.invalid)) {
    throw new Error('filter-cases.yaml needs `valid` and `invalid` lists')
  }
  return { valid: data.valid.map(toParseCase), invalid: data.invalid.map(toParseCase) }
}

/** Runs `fn` and returns the ScimError it throws, failing the test otherwise. */
function catchScimError(fn: () => unknown): ScimError {
  try {
    fn()
  } catch (err) {
    expect(err).to.be.instanceOf(ScimError)
    return err as ScimError
  }
  expect.fail('expected a ScimError')
}

function expectInvalidFilter(fn: () => unknown, detail: string): void {
  const err = catchScimError(fn)
  expect(err.status).to.equal(400)
  expect(err.scimType).to.equal('invalidFilter')
  expect(err.detail).to.include(detail)
  expect(err.detail).not.to.match(/\n\s+at /)
}

const cases = loadCases()

describe('parseFilter', () => {
  describe('accepts RFC 7644 §3.4.2.2 filters and IdP dialects', () => {
    for (const c of cases.valid) {
      it(`parses ${c.type} filter ${JSON.stringify(c.filter)}`, () => {
        expect(parseFilter(c.type, c.filter)).to.deep.equal(c.ast)
      })
    }
  })

  describe('answers invalidFilter', () => {
    for (const c of cases.invalid) {
      it(`rejects ${c.type} filter ${JSON.stringify(c.filter)} (${c.error})`, () => {
        expectInvalidFilter(() => parseFilter(c.type, c.filter), c.error ?? '')
      })
    }

    it('rejects a filter over 4,096 characters', () => {
      const text = `displayName eq "${'x'.repeat(4096)}"`
      expectInvalidFilter(() => parseFilter('User', text), 'over 4096 characters')
    })

    it('accepts 32 nested parentheses and rejects 33', () => {
      const nest = (n: number) => `${'('.repeat(n)}userName eq "x"${')'.repeat(n)}`
      expect(parseFilter('User', nest(32))).to.deep.equal({
        op: 'eq',
        attrPath: 'userName',
        compValue: 'x',
      })
      expectInvalidFilter(() => parseFilter('User', nest(33)), 'deeper than 32')
    })

    it('rejects 33 nested not', () => {
      const text = `${'not ('.repeat(33)}userName eq "x"${')'.repeat(33)}`
      expectInvalidFilter(() => parseFilter('User', text), 'deeper than 32')
      const notChain = `${'not '.repeat(40)}userName eq "x"`
      expectInvalidFilter(() => parseFilter('User', notChain), 'deeper than 32')
    })

    it('rejects nested and/or deeper than 32', () => {
      let text = 'userName eq "x"'
      for (let i = 0; i < 33; i += 1) text = `title eq "${i}" and (${text} or title pr)`
      expectInvalidFilter(() => parseFilter('User', text), 'deeper than 32')
    })
  })

  describe('why scim2-parse-filter alone is not enough', () => {
    it('raw parse() rejects the unquoted value Entra sends; parseFilter accepts it', () => {
      expect(() => parseRaw('externalId eq jyoung')).to.throw()
      expect(parseFilter('User', 'externalId eq jyoung')).to.deep.equal({
        op: 'eq',
        attrPath: 'externalId',
        compValue: 'jyoung',
      })
    })

    it('raw parse() splits emails[…].value into conditions on any element', () => {
      const raw = parseRaw('emails[type eq "work"].value eq "x"')
      expect(raw.op).to.equal('and')
      expect(parseFilter('User', 'emails[type eq "work"].value eq "x"').op).to.equal('[]')
    })

    it('raw parse() doubles backslashes in strings; parseFilter decodes JSON escapes', () => {
      expect(parseRaw('displayName eq "a\\\\b"')).to.deep.include({ compValue: 'a\\\\b' })
      expect(parseFilter('User', 'displayName eq "a\\\\b"')).to.deep.include({ compValue: 'a\\b' })
    })
  })
})
