import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import { parse } from 'yaml'
import {
  applyCreateRules,
  applyUpdateRules,
  compileRule,
  type AttributeRule,
  type IgnoredChange,
  type RuleSet,
} from '../../../src/connectors/rules.ts'
import type { RuleSpec } from '../../../src/connectors/profile-schema.ts'
import { ScimError } from '../../../src/scim/errors.ts'
import type { ScimResource } from '../../../src/scim/types.ts'

interface ErrorExpectation {
  status: number
  scimType?: string
  detail?: string
}

interface CaseBase {
  name: string
  set: string
  settings?: Record<string, unknown>
  error?: ErrorExpectation
}

interface CreateCase extends CaseBase {
  resource: ScimResource
  expect?: ScimResource
}

interface UpdateCase extends CaseBase {
  before: ScimResource
  after: ScimResource
  expect?: ScimResource
  ignored?: IgnoredChange[]
}

interface Table {
  settings: Record<string, unknown>
  sets: Record<string, { product: string; rules: Record<string, RuleSpec> }>
  create: CreateCase[]
  update: UpdateCase[]
}

const table = parse(
  readFileSync(new URL('../../fixtures/connectors/rules-cases.yaml', import.meta.url), 'utf8'),
) as Table

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

/** Compiles a rule set as the profile compiler does (`settings.x` names a setting). */
function ruleSetOf(name: string): RuleSet {
  const spec = table.sets[name]
  if (!spec) throw new Error(`rules-cases.yaml has no set ${name}`)
  const rules = Object.entries(spec.rules).map(([path, { allowedValues, ...rest }]) => {
    const compiled = compileRule('User', path, {
      ...rest,
      ...(typeof allowedValues === 'string'
        ? { allowedValues: { setting: allowedValues.slice('settings.'.length) } }
        : allowedValues
          ? { allowedValues }
          : {}),
    })
    if (typeof compiled === 'string') throw new Error(compiled)
    return compiled
  })
  return { product: spec.product, resourceType: 'User', rules }
}

/** The ScimError `run` throws; fails the test when it throws nothing. */
function scimErrorOf(run: () => unknown): ScimError {
  try {
    run()
  } catch (err) {
    expect(err).to.be.instanceOf(ScimError)
    return err as ScimError
  }
  return expect.fail('expected a ScimError')
}

function expectError(err: ScimError, expected: ErrorExpectation): void {
  expect(err.status).to.equal(expected.status)
  if (expected.scimType) expect(err.scimType).to.equal(expected.scimType)
  if (expected.detail) expect(err.detail).to.equal(expected.detail)
}

const deepCopy = <T>(value: T): T => structuredClone(value)

describe('connectors/rules', () => {
  describe('compileRule', () => {
    const compiled: [string, string, Pick<AttributeRule, 'path' | 'keys' | 'caseExact'>][] = [
      ['a core attribute', 'userName', { path: 'userName', keys: ['userName'], caseExact: false }],
      [
        'a name in any case',
        'USERTYPE',
        { path: 'userType', keys: ['userType'], caseExact: false },
      ],
      [
        'a sub-attribute',
        'name.givenName',
        { path: 'name.givenName', keys: ['name', 'givenName'], caseExact: false },
      ],
      [
        'a case-exact attribute',
        'externalId',
        { path: 'externalId', keys: ['externalId'], caseExact: true },
      ],
      [
        'an enterprise attribute by its unqualified name',
        'department',
        { path: `${ENTERPRISE}:department`, keys: [ENTERPRISE, 'department'], caseExact: false },
      ],
    ]
    for (const [what, path, expected] of compiled) {
      it(`compiles a rule on ${what} (${path})`, () => {
        const rule = compileRule('User', path, { required: true })
        expect(rule).to.deep.equal({ required: true, ...expected })
      })
    }

    const refused: [string, string, string][] = [
      ['an unknown attribute', 'nope', 'rule on unknown attribute nope'],
      ['an unknown sub-attribute', 'name.middle', 'rule on unknown attribute name.middle'],
      ['a complex attribute', 'name', 'rule on name must name a simple attribute'],
      ['a multi-valued attribute', 'emails', 'rule on emails must name a simple attribute'],
    ]
    for (const [what, path, message] of refused) {
      it(`refuses a rule on ${what} (${path})`, () => {
        expect(compileRule('User', path, { required: true })).to.equal(message)
      })
    }

    it('resolves against the resource type it is given', () => {
      expect(compileRule('Group', 'userName', {})).to.equal('rule on unknown attribute userName')
      expect(compileRule('Group', 'displayName', {})).to.deep.include({ path: 'displayName' })
    })
  })

  describe('applyCreateRules', () => {
    for (const c of table.create) {
      it(c.name, () => {
        const set = ruleSetOf(c.set)
        const settings = c.settings ?? table.settings
        const resource = deepCopy(c.resource)
        if (c.error) {
          const error = c.error
          expectError(
            scimErrorOf(() => applyCreateRules(set, resource, settings)),
            error,
          )
        } else {
          expect(applyCreateRules(set, resource, settings)).to.deep.equal(c.expect)
        }
        expect(resource, 'the input resource is not changed').to.deep.equal(c.resource)
      })
    }
  })

  describe('applyUpdateRules', () => {
    for (const c of table.update) {
      it(c.name, () => {
        const set = ruleSetOf(c.set)
        const settings = c.settings ?? table.settings
        const before = deepCopy(c.before)
        const after = deepCopy(c.after)
        if (c.error) {
          const error = c.error
          expectError(
            scimErrorOf(() => applyUpdateRules(set, before, after, settings)),
            error,
          )
        } else {
          expect(applyUpdateRules(set, before, after, settings)).to.deep.equal({
            resource: c.expect,
            ignored: c.ignored ?? [],
          })
        }
        expect(before, 'before is not changed').to.deep.equal(c.before)
        expect(after, 'after is not changed').to.deep.equal(c.after)
      })
    }

    it('checks immutability before anything else on the same attribute', () => {
      const set = ruleSetOf('tresorit')
      const err = scimErrorOf(() =>
        applyUpdateRules(set, { userName: 'a@example.com' }, { userName: 'not-an-email' }, {}),
      )
      expect(err.scimType).to.equal('mutability')
    })
  })
})
