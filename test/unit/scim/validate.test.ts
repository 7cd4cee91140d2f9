import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import { parse } from 'yaml'
import { ScimError, type ScimType } from '../../../src/scim/errors.ts'
import type { JsonValue, ResourceType, ScimResource } from '../../../src/scim/types.ts'
import {
  MAX_BINARY_LENGTH,
  MAX_KEY_LENGTH,
  MAX_STRING_LENGTH,
  createResourceValidator,
} from '../../../src/scim/validate.ts'

interface ValidateCase {
  name: string
  type: ResourceType
  mode?: 'create' | 'replace'
  resource: JsonValue
  valid?: true
  error?: { scimType: ScimType; detail: string[] }
}

const cases = parse(
  readFileSync(new URL('../../fixtures/validate-cases.yaml', import.meta.url), 'utf8'),
) as ValidateCase[]

const validator = createResourceValidator()

function validateUnknown(type: ResourceType, body: unknown, mode: 'create' | 'replace' = 'create') {
  // The HTTP layer hands over whatever JSON arrived; the validator must cope with any of it.
  validator.validate(type, body as ScimResource, mode)
}

function catchScimError(run: () => void): ScimError {
  try {
    run()
  } catch (err) {
    expect(err).to.be.instanceOf(ScimError)
    return err as ScimError
  }
  expect.fail('expected a ScimError')
}

describe('createResourceValidator', () => {
  it('loads a table of dozens of cases', () => {
    expect(cases.length).to.be.greaterThan(40)
  })

  for (const c of cases) {
    it(`${c.type} ${c.mode ?? 'create'}: ${c.name}`, () => {
      const run = () => validateUnknown(c.type, c.resource, c.mode)
      if (c.valid) {
        expect(run).not.to.throw()
        return
      }
      if (!c.error) expect.fail('a case needs valid or error')
      const err = catchScimError(run)
      expect(err.status).to.equal(400)
      expect(err.scimType).to.equal(c.error.scimType)
      for (const part of c.error.detail) expect(err.detail).to.include(part)
      // Attribute paths only: no JSON pointers or ajv phrasing leak to the client.
      expect(err.detail).not.to.match(/#\/|\/\d|must NOT|must have required property|instance/)
    })
  }

  describe('string lengths', () => {
    const long = (n: number) => 'a'.repeat(n)

    it(`accepts a userName of ${MAX_KEY_LENGTH} characters and refuses one more`, () => {
      expect(() => validateUnknown('User', { userName: long(MAX_KEY_LENGTH) })).not.to.throw()
      const err = catchScimError(() =>
        validateUnknown('User', { userName: long(MAX_KEY_LENGTH + 1) }),
      )
      expect(err.detail).to.equal(`userName must be at most ${MAX_KEY_LENGTH} characters`)
    })

    it('caps a group displayName like a userName', () => {
      const err = catchScimError(() =>
        validateUnknown('Group', { displayName: long(MAX_KEY_LENGTH + 1) }),
      )
      expect(err.detail).to.equal(`displayName must be at most ${MAX_KEY_LENGTH} characters`)
    })

    it(`caps other strings at ${MAX_STRING_LENGTH} characters`, () => {
      const ok = { userName: 'u', title: long(MAX_STRING_LENGTH) }
      expect(() => validateUnknown('User', ok)).not.to.throw()
      const err = catchScimError(() =>
        validateUnknown('User', {
          userName: 'u',
          name: { givenName: long(MAX_STRING_LENGTH + 1) },
        }),
      )
      expect(err.detail).to.equal(`name.givenName must be at most ${MAX_STRING_LENGTH} characters`)
    })

    it('gives binary values (certificates) more room', () => {
      const cert = { userName: 'u', x509Certificates: [{ value: long(MAX_STRING_LENGTH * 2) }] }
      expect(() => validateUnknown('User', cert)).not.to.throw()
      const huge = { userName: 'u', x509Certificates: [{ value: long(MAX_BINARY_LENGTH + 1) }] }
      const err = catchScimError(() => validateUnknown('User', huge))
      expect(err.detail).to.include('x509Certificates.value must be at most')
    })

    it('caps member ids', () => {
      const body = { displayName: 'g', members: [{ value: long(MAX_KEY_LENGTH + 1) }] }
      const err = catchScimError(() => validateUnknown('Group', body))
      expect(err.detail).to.equal(`members.value must be at most ${MAX_KEY_LENGTH} characters`)
    })
  })

  describe('hostile input', () => {
    it('names a bad member once, however many members share the fault', () => {
      const members = Array.from({ length: 5_000 }, (_, i) => ({ value: i }))
      const err = catchScimError(() => validateUnknown('Group', { displayName: 'big', members }))
      expect(err.detail).to.equal('members.value must be a string')
    })

    it('accepts a 5,000-member PUT (Okta AIW pushes whole member lists)', () => {
      const members = Array.from({ length: 5_000 }, (_, i) => ({ value: `user-${i}` }))
      expect(() =>
        validateUnknown('Group', { displayName: 'big', members }, 'replace'),
      ).not.to.throw()
    })

    it('does not let a __proto__ key pollute anything', () => {
      const body: unknown = JSON.parse('{"userName":"u","__proto__":{"polluted":true}}')
      expect(() => validateUnknown('User', body)).not.to.throw()
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined)
    })

    it('refuses deeply nested junk in a sub-attribute without recursing into it', () => {
      let deep: JsonValue = 'x'
      for (let i = 0; i < 1_000; i++) deep = { d: deep }
      const err = catchScimError(() =>
        validateUnknown('User', { userName: 'u', name: { givenName: deep } }),
      )
      expect(err.detail).to.equal('name.givenName must be a string')
    })
  })

  it('treats create and replace alike (RFC 7644 §3.5.1: a PUT body is a whole resource)', () => {
    for (const mode of ['create', 'replace'] as const) {
      const err = catchScimError(() => validateUnknown('User', { active: true }, mode))
      expect(err.detail).to.equal('userName is required')
    }
  })

  it('builds independent validators', () => {
    const other = createResourceValidator()
    expect(other).not.to.equal(validator)
    expect(() => other.validate('Group', { displayName: 'x' }, 'create')).not.to.throw()
  })
})
