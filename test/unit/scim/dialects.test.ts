import { expect } from 'chai'
import {
  detectDialect,
  normalisePatchOperations,
  normaliseResource,
  type DialectSetting,
} from '../../../src/scim/dialects.ts'
import type { ResourceType } from '../../../src/scim/types.ts'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { ScimError } from '../../../src/scim/errors.ts'
import { isJsonObject } from '../../../src/scim/types.ts'

const fixtures = new URL('../../fixtures/', import.meta.url)

interface ErrorExpectation {
  status: number
  scimType?: string
  detail?: string
}

interface DetectCase {
  name: string
  userAgent: string | null
  query: Record<string, unknown>
  expect: string
}

interface NormaliseCase {
  name: string
  type: ResourceType
  setting?: DialectSetting | DialectSetting[]
  body?: unknown
  bodyFile?: string
  operations?: unknown[]
  expect?: unknown
  error?: ErrorExpectation
}

interface DialectCases {
  detect: DetectCase[]
  resources: NormaliseCase[]
  operations: NormaliseCase[]
}

const cases = parse(readFileSync(new URL('dialect-cases.yaml', fixtures), 'utf8'), {
  merge: true,
}) as DialectCases

function readIdpBody(file: string): unknown {
  return JSON.parse(readFileSync(new URL(`idp/${file}`, fixtures), 'utf8')) as unknown
}

function readOperations(file: string): unknown[] {
  const body = readIdpBody(file)
  if (!isJsonObject(body) || !Array.isArray(body.Operations))
    throw new Error(`${file}: no Operations`)
  return body.Operations
}

function settingsOf(setting: DialectSetting | DialectSetting[] | undefined): DialectSetting[] {
  if (setting === undefined) return ['auto']
  return Array.isArray(setting) ? setting : [setting]
}

function expectScimError(run: () => unknown, expected: ErrorExpectation): void {
  let thrown: unknown
  try {
    run()
  } catch (error) {
    thrown = error
  }
  if (!(thrown instanceof ScimError)) throw new Error(`expected a ScimError, got ${String(thrown)}`)
  expect({ status: thrown.status, scimType: thrown.scimType }).to.deep.equal({
    status: expected.status,
    scimType: expected.scimType,
  })
  if (expected.detail) expect(thrown.detail).to.include(expected.detail)
}

describe('detectDialect', () => {
  for (const c of cases.detect) {
    it(`${c.name} → ${c.expect}`, () => {
      expect(detectDialect(c.userAgent ?? undefined, c.query)).to.equal(c.expect)
    })
  }
})

describe('normaliseResource', () => {
  for (const c of cases.resources) {
    for (const setting of settingsOf(c.setting)) {
      it(`${c.name} [${setting}]`, () => {
        const body = c.bodyFile ? readIdpBody(c.bodyFile) : c.body
        const run = () => normaliseResource(c.type, body, setting)
        if (c.error) expectScimError(run, c.error)
        else expect(run()).to.deep.equal(c.expect)
      })
    }
  }

  it('does not mutate the body', () => {
    const body = readIdpBody('entra-create-user-nulls.json')
    const copy = structuredClone(body)
    normaliseResource('User', body, 'auto')
    expect(body).to.deep.equal(copy)
  })
})

describe('normalisePatchOperations', () => {
  for (const c of cases.operations) {
    for (const setting of settingsOf(c.setting)) {
      it(`${c.name} [${setting}]`, () => {
        const operations = c.bodyFile ? readOperations(c.bodyFile) : (c.operations ?? [])
        const run = () => normalisePatchOperations(c.type, operations, setting)
        if (c.error) expectScimError(run, c.error)
        else expect(run()).to.deep.equal(c.expect)
      })
    }
  }

  it('is idempotent: normalised operations normalise to themselves under generic', () => {
    for (const c of cases.operations.filter((x) => !x.error)) {
      const operations = c.bodyFile ? readOperations(c.bodyFile) : (c.operations ?? [])
      const once = normalisePatchOperations(c.type, operations, 'auto')
      expect(normalisePatchOperations(c.type, once, 'generic'), c.name).to.deep.equal(once)
    }
  })
})
