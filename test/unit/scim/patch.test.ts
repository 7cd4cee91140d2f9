import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { scimPatch, type ScimResource as LibraryResource } from 'scim-patch'
import {
  FilterArrayTargetNotFound,
  FilterOnEmptyArray,
  InvalidRemoveOpPath,
  InvalidScimPatchOp,
  InvalidScimPatchRequest,
  NoPathInScimPatchOp,
  NoTarget,
  RemoveValueNestedArrayNotSupported,
  RemoveValueNotArray,
} from 'scim-patch/lib/src/errors/scimErrors.js'
import { parse } from 'yaml'
import { normalisePatchOperations, type DialectSetting } from '../../../src/scim/dialects.ts'
import { ScimError } from '../../../src/scim/errors.ts'
import { toScimError } from '../../../src/scim/patch-library.ts'
import {
  applyPatch,
  MAX_PATCH_OPERATIONS,
  readPatchRequest,
  splitMemberOperations,
} from '../../../src/scim/patch.ts'
import { PATCH_OP_SCHEMA } from '../../../src/scim/schemas.ts'
import type { PatchOperation, ResourceType, ScimResource } from '../../../src/scim/types.ts'

const fixtures = new URL('../../fixtures/', import.meta.url)

interface ErrorExpectation {
  status: number
  scimType?: string
  detail?: string
}

interface ApplyCase {
  name: string
  type?: ResourceType
  resource: string
  operations: PatchOperation[]
  expect?: ScimResource
  absent?: string[]
  error?: ErrorExpectation
}

interface SplitCase {
  name: string
  operations: PatchOperation[]
  expect?: unknown
  error?: ErrorExpectation
}

interface RequestCase {
  name: string
  body: unknown
  count?: number
  error?: ErrorExpectation
}

interface EndToEndCase extends Omit<ApplyCase, 'operations'> {
  setting?: DialectSetting | DialectSetting[]
  body?: unknown
  bodyFile?: string
  split?: unknown
}

interface PatchCases {
  resources: Record<string, ScimResource>
  apply: ApplyCase[]
  split: SplitCase[]
  requests: RequestCase[]
  endToEnd: EndToEndCase[]
}

// The table reuses its resources through anchors, well past yaml's default alias budget.
const cases = parse(readFileSync(new URL('patch-cases.yaml', fixtures), 'utf8'), {
  merge: true,
  maxAliasCount: -1,
}) as PatchCases

function resourceNamed(name: string): ScimResource {
  const resource = cases.resources[name]
  if (!resource) throw new Error(`no resource "${name}" in patch-cases.yaml`)
  return structuredClone(resource)
}

function expected(c: { expect?: ScimResource; absent?: string[] }): ScimResource {
  const result = structuredClone(c.expect ?? {})
  for (const key of c.absent ?? []) delete result[key]
  return result
}

function expectScimError(run: () => unknown, want: ErrorExpectation): void {
  let thrown: unknown
  try {
    run()
  } catch (error) {
    thrown = error
  }
  if (!(thrown instanceof ScimError)) throw new Error(`expected a ScimError, got ${String(thrown)}`)
  expect({ status: thrown.status, scimType: thrown.scimType }).to.deep.equal({
    status: want.status,
    scimType: want.scimType,
  })
  if (want.detail) expect(thrown.detail).to.include(want.detail)
}

function settingsOf(setting: DialectSetting | DialectSetting[] | undefined): DialectSetting[] {
  if (setting === undefined) return ['auto']
  return Array.isArray(setting) ? setting : [setting]
}

describe('applyPatch', () => {
  for (const c of cases.apply) {
    it(c.name, () => {
      const resource = resourceNamed(c.resource)
      const before = structuredClone(resource)
      const run = () => applyPatch(c.type ?? 'User', resource, c.operations)
      if (c.error) expectScimError(run, c.error)
      else expect(run()).to.deep.equal(expected(c))
      expect(resource, 'the input resource is not mutated').to.deep.equal(before)
    })
  }

  it('returns a new object even when nothing changes', () => {
    const resource = resourceNamed('user')
    const result = applyPatch('User', resource, [{ op: 'remove', path: 'title' }])
    expect(result).to.not.equal(resource)
    expect(result.emails).to.not.equal(resource.emails)
  })

  it('leaves no trace of what scim-patch needs (meta, schemas) on a bare resource', () => {
    const result = applyPatch('User', { userName: 'a' }, [{ op: 'add', path: 'title', value: 'T' }])
    expect(result).to.deep.equal({ userName: 'a', title: 'T' })
  })
})

describe('splitMemberOperations', () => {
  for (const c of cases.split) {
    it(c.name, () => {
      const run = () => splitMemberOperations(c.operations)
      if (c.error) expectScimError(run, c.error)
      else expect(run()).to.deep.equal(c.expect)
    })
  }
})

describe('readPatchRequest', () => {
  for (const c of cases.requests) {
    it(c.name, () => {
      const run = () => readPatchRequest(c.body)
      if (c.error) expectScimError(run, c.error)
      else expect(run()).to.have.length(c.count ?? -1)
    })
  }

  it(`accepts ${MAX_PATCH_OPERATIONS} operations and refuses one more with 413`, () => {
    const operations = Array.from({ length: MAX_PATCH_OPERATIONS }, () => ({ op: 'add' }))
    expect(readPatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: operations })).to.have.length(
      MAX_PATCH_OPERATIONS,
    )
    const tooMany = { schemas: [PATCH_OP_SCHEMA], Operations: [...operations, { op: 'add' }] }
    expectScimError(() => readPatchRequest(tooMany), { status: 413 })
  })
})

describe('IdP PATCH bodies: readPatchRequest → normalisePatchOperations → applyPatch/split', () => {
  for (const c of cases.endToEnd) {
    for (const setting of settingsOf(c.setting)) {
      it(`${c.name} [${setting}]`, () => {
        const body: unknown = c.bodyFile
          ? JSON.parse(readFileSync(new URL(`idp/${c.bodyFile}`, fixtures), 'utf8'))
          : c.body
        const type = c.type ?? 'User'
        const resource = resourceNamed(c.resource)
        const patch = () => {
          const operations = normalisePatchOperations(type, readPatchRequest(body), setting)
          return { operations, result: applyPatch(type, resource, operations) }
        }
        if (c.error) return expectScimError(() => patch(), c.error)
        const { operations, result } = patch()
        if (c.expect) expect(result).to.deep.equal(expected(c))
        if (c.split) expect(splitMemberOperations(operations)).to.deep.equal(c.split)
      })
    }
  }
})

describe('scim-patch quirks we work around', () => {
  const meta = { created: new Date(0), lastModified: new Date(0) }
  const user = (extra: object): LibraryResource => ({ schemas: [], meta, ...extra })

  it('keeps "False" as a string (so dialects.ts coerces and applyPatch refuses it)', () => {
    const raw = scimPatch(user({ active: true }), [
      { op: 'replace', path: 'active', value: 'False' },
    ])
    expect(raw).to.have.property('active', 'False')
    expectScimError(
      () =>
        applyPatch('User', { active: true }, [{ op: 'replace', path: 'active', value: 'False' }]),
      { status: 400, scimType: 'invalidValue' },
    )
    const normalised = normalisePatchOperations(
      'User',
      [{ op: 'Replace', path: 'active', value: 'False' }],
      'auto',
    )
    expect(applyPatch('User', { active: true }, normalised)).to.deep.equal({ active: false })
  })

  it('splits a path at a colon inside the filter value', () => {
    const members = [{ value: 'urn:x:1' }, { value: 'u-2' }]
    const op = { op: 'remove', path: 'members[value eq "urn:x:1"]' } satisfies PatchOperation
    expect(() => scimPatch(user({ members }), [op])).to.throw(InvalidScimPatchOp)
    expect(applyPatch('Group', { members }, [op])).to.deep.equal({ members: [{ value: 'u-2' }] })
  })

  it('compares filter values case-exactly', () => {
    const emails = [{ type: 'work', value: 'a@b.c' }]
    const op = {
      op: 'replace',
      path: 'emails[type eq "Work"].value',
      value: 'x@y.z',
    } satisfies PatchOperation
    expect(() => scimPatch(user({ emails }), [op], { mutateDocument: false })).to.throw(NoTarget)
    expect(applyPatch('User', { emails }, [op])).to.deep.equal({
      emails: [{ type: 'work', value: 'x@y.z' }],
    })
  })

  it('removes by deep equality, missing a member stored with more sub-attributes', () => {
    const members = [{ value: 'u-1', display: 'Barbara' }]
    const op = { op: 'remove', path: 'members', value: [{ value: 'u-1' }] } satisfies PatchOperation
    const raw = scimPatch(user({ members }), [op], { mutateDocument: false })
    expect(raw).to.have.deep.property('members', members)
    expect(applyPatch('Group', { members }, [op])).to.deep.equal({})
  })

  it('replaces the whole resource with a path-less replace of a string', () => {
    const raw: unknown = scimPatch(user({ userName: 'a' }), [{ op: 'replace', value: 'x' }])
    expect(raw).to.equal('x')
    expectScimError(() => applyPatch('User', { userName: 'a' }, [{ op: 'replace', value: 'x' }]), {
      status: 400,
      scimType: 'invalidValue',
    })
  })

  it('silently ignores an add to a filtered value that matches nothing', () => {
    const emails = [{ type: 'work', value: 'a@b.c' }]
    const op = {
      op: 'add',
      path: 'emails[type eq "home"]',
      value: { value: 'h@b.c' },
    } satisfies PatchOperation
    const raw = scimPatch(user({ emails }), [op], { mutateDocument: false })
    expect(raw).to.have.deep.property('emails', emails)
    expectScimError(() => applyPatch('User', { emails }, [op]), {
      status: 400,
      scimType: 'noTarget',
    })
  })
})

describe('toScimError (scim-patch errors → ScimError)', () => {
  const table: [string, unknown, string | undefined][] = [
    ['NoTarget', new NoTarget('emails[type eq "x"]'), 'noTarget'],
    ['FilterOnEmptyArray', new FilterOnEmptyArray('m', 'emails', 'type eq "x"'), 'noTarget'],
    ['FilterArrayTargetNotFound', new FilterArrayTargetNotFound('m', 'emails', 'x'), 'noTarget'],
    ['InvalidRemoveOpPath', new InvalidRemoveOpPath(), 'noTarget'],
    ['NoPathInScimPatchOp', new NoPathInScimPatchOp(), 'noTarget'],
    ['RemoveValueNotArray', new RemoveValueNotArray(), 'invalidValue'],
    [
      'RemoveValueNestedArrayNotSupported',
      new RemoveValueNestedArrayNotSupported(),
      'invalidValue',
    ],
    ['InvalidScimPatchRequest', new InvalidScimPatchRequest('bad'), 'invalidSyntax'],
    [
      'InvalidScimPatchOp about a path',
      new InvalidScimPatchOp('This part of the path x'),
      'invalidPath',
    ],
    [
      'InvalidScimPatchOp about a value',
      new InvalidScimPatchOp('Invalid patch query.'),
      'invalidValue',
    ],
    ['any other error', new TypeError('boom'), undefined],
  ]
  for (const [name, error, scimType] of table) {
    it(`${name} → ${scimType ?? 'passed through'}`, () => {
      const mapped = toScimError(error, 'emails')
      expect(mapped?.scimType).to.equal(scimType)
      if (mapped) expect(mapped.status).to.equal(400)
    })
  }
})
