import { expect } from 'chai'
import type { SimulatorHandle } from '../../../src/simulators/common/start.ts'
import {
  INFISICAL_DEFAULTS,
  resolveInfisicalSettings,
  type InfisicalSimulatorOptions,
} from '../../../src/simulators/infisical/settings.ts'
import { startInfisicalSimulator } from '../../../src/simulators/infisical/simulator.ts'
import { call, pick, type CallOptions } from './http.ts'

const SCIM_TOKEN = INFISICAL_DEFAULTS.scimToken
const USER_TOKEN = INFISICAL_DEFAULTS.userToken
const ORG = INFISICAL_DEFAULTS.orgId
const OWNER = INFISICAL_DEFAULTS.owner.membershipId
const SCIM = '/api/v1/scim'
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error'
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const MEMBERSHIPS = `/api/v2/organizations/${ORG}/memberships`

const PLAN_DETAIL = 'Failed to use SCIM due to plan restriction. Upgrade plan to use SCIM.'
const DISABLED_DETAIL = 'SCIM is disabled for the organization'
const SSO_DETAIL = 'Neither SAML or OIDC SSO is configured'
const GROUPS_DETAIL =
  'Failed to use SCIM groups due to plan restriction. Upgrade plan to use groups.'

function patchOf(...operations: unknown[]) {
  return { schemas: [PATCH_SCHEMA], Operations: operations }
}

function userBody(userName: string, email: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    name: { givenName: 'Ann', familyName: 'Lee' },
    emails: [{ primary: true, value: email }],
    ...extra,
  }
}

interface StateMembership {
  id: string
  userId: string
  role: string
  status: string
  isActive: boolean
  externalId: string | null
}

interface StateUser {
  id: string
  username: string
  email: string
  isEmailVerified: boolean
  isAccepted: boolean
}

interface State {
  org: { groupRoleMappings: Record<string, string> }
  users: StateUser[]
  memberships: StateMembership[]
  groups: { id: string; displayName: string; role: string; members: string[] }[]
  emails: { to: string; subject: string; at: string }[]
}

describe('simulators/infisical', () => {
  let sim: SimulatorHandle
  const start = async (options: InfisicalSimulatorOptions = {}) => {
    await sim?.close()
    sim = await startInfisicalSimulator(options)
  }
  const scim = (method: string, path: string, options: CallOptions = {}) =>
    call(sim.url, method, `${SCIM}${path}`, {
      token: SCIM_TOKEN,
      contentType: 'application/scim+json',
      ...options,
    })
  const api = (method: string, path: string, options: CallOptions = {}) =>
    call(sim.url, method, path, { token: USER_TOKEN, ...options })
  const create = async (userName: string, email: string, extra: Record<string, unknown> = {}) => {
    const reply = await scim('POST', '/Users', { body: userBody(userName, email, extra) })
    expect(reply.status, JSON.stringify(reply.body)).to.equal(200)
    return String(pick(reply.body, 'id'))
  }
  const state = async () => (await call(sim.url, 'GET', '/_sim/state')).body as State
  const membership = async (id: string) => (await state()).memberships.find((m) => m.id === id)
  const patchOrg = (body: unknown) => call(sim.url, 'PATCH', '/_sim/org', { body })
  const completeSetup = (id: string) => call(sim.url, 'POST', `/_sim/users/${id}/complete-setup`)

  beforeEach(() => start())
  after(() => sim.close())

  it('has the documented defaults and handle', () => {
    const settings = resolveInfisicalSettings({})
    expect(settings).to.deep.include({
      orgId: '6f1c1b36-6d35-4c2e-9a57-0a1f3f1e2d01',
      scimTokens: ['infisical-sim-scim-token'],
      userTokens: ['infisical-sim-user-token'],
      plan: { scim: true, groups: true },
      scimEnabled: true,
      authMethod: 'saml',
      trustEmails: true,
      defaultMembershipRole: 'member',
      groupRoleMappings: {},
      rateLimit: { limit: 600, windowSeconds: 60 },
      inviteRateLimit: { limit: 2, windowSeconds: 40 },
    })
    expect(resolveInfisicalSettings({ authMethod: null }).authMethod).to.equal(null)
    expect(sim.name).to.equal('infisical')
    expect(sim.baseUrl).to.equal(sim.url)
    expect(sim.credential).to.equal(SCIM_TOKEN)
  })

  it('holds org, users, memberships, groups and emails, the owner seeded', async () => {
    expect(await state()).to.deep.equal({
      org: {
        id: ORG,
        scimEnabled: true,
        authMethod: 'saml',
        plan: { scim: true, groups: true },
        defaultMembershipRole: 'member',
        trustEmails: true,
        groupRoleMappings: {},
      },
      users: [
        {
          id: INFISICAL_DEFAULTS.owner.userId,
          username: 'owner@acme.example',
          email: 'owner@acme.example',
          firstName: 'Olive',
          lastName: 'Owner',
          isEmailVerified: true,
          isAccepted: true,
        },
      ],
      memberships: [
        {
          id: OWNER,
          userId: INFISICAL_DEFAULTS.owner.userId,
          role: 'admin',
          status: 'accepted',
          isActive: true,
          externalId: null,
        },
      ],
      groups: [],
      emails: [],
    })
  })

  describe('token families', () => {
    it('refuses a user token on SCIM routes with a SCIM 401', async () => {
      const reply = await scim('GET', '/Users', { token: USER_TOKEN })
      expect(reply.status).to.equal(401)
      expect(reply.body).to.deep.include({ schemas: [ERROR_SCHEMA], status: 401 })
    })

    it('refuses a SCIM token on native routes with a native 401', async () => {
      const reply = await api('GET', MEMBERSHIPS, { token: SCIM_TOKEN })
      expect(reply.status).to.equal(401)
      expect(reply.body).to.deep.include({ statusCode: 401, error: 'UnauthorizedError' })
      expect(pick(reply.body, 'reqId')).to.be.a('string')
    })

    it('refuses a missing or unknown token', async () => {
      expect((await scim('GET', '/Users', { token: 'nope' })).status).to.equal(401)
      expect((await call(sim.url, 'GET', MEMBERSHIPS)).status).to.equal(401)
    })
  })

  describe('SCIM preconditions', () => {
    const cases: [string, Record<string, unknown>, string, string, number, string | null][] = [
      [
        'plan.scim off, before all else',
        { plan: { scim: false }, scimEnabled: false, authMethod: null },
        'GET',
        '/Users',
        400,
        PLAN_DETAIL,
      ],
      [
        'SCIM disabled',
        { scimEnabled: false, authMethod: null },
        'GET',
        '/Users',
        403,
        DISABLED_DETAIL,
      ],
      ['no SSO on a user create', { authMethod: null }, 'POST', '/Users', 400, SSO_DETAIL],
      ['no SSO on a user PATCH', { authMethod: null }, 'PATCH', `/Users/${OWNER}`, 400, SSO_DETAIL],
      ['no SSO on a user read', { authMethod: null }, 'GET', '/Users', 200, null],
      [
        'no SSO on a user delete',
        { authMethod: null },
        'DELETE',
        '/Users/unknown',
        404,
        'User not found',
      ],
      [
        'no SSO before plan.groups on a group create',
        { authMethod: null, plan: { groups: false } },
        'POST',
        '/Groups',
        400,
        SSO_DETAIL,
      ],
      [
        'plan.groups off on a group read',
        { plan: { groups: false } },
        'GET',
        '/Groups',
        400,
        GROUPS_DETAIL,
      ],
      [
        'plan.groups off on a group delete',
        { plan: { groups: false } },
        'DELETE',
        '/Groups/x',
        400,
        GROUPS_DETAIL,
      ],
      ['plan.groups off on users', { plan: { groups: false } }, 'GET', '/Users', 200, null],
    ]
    for (const [name, org, method, path, status, detail] of cases) {
      it(`${method} ${path}: ${name} → ${status}`, async () => {
        expect((await patchOrg(org)).status).to.equal(200)
        const body = method === 'POST' || method === 'PATCH' ? patchOf() : undefined
        const reply = await scim(method, path, { body })
        expect(reply.status).to.equal(status)
        if (detail) expect(reply.body).to.deep.include({ schemas: [ERROR_SCHEMA], detail })
      })
    }

    it('takes option values at start as well', async () => {
      await start({ scimEnabled: false })
      expect(pick((await scim('GET', '/Users')).body, 'detail')).to.equal(DISABLED_DETAIL)
    })
  })

  describe('POST /Users', () => {
    it('answers 200 with the SCIM user, id = a new invited membership, and mails an invitation', async () => {
      const reply = await scim('POST', '/Users', {
        body: userBody('ann.lee', 'Ann@Example.com'),
      })
      expect(reply.status).to.equal(200)
      expect(reply.headers.get('content-type')).to.match(/^application\/json/)
      const id = String(pick(reply.body, 'id'))
      const meta = pick(reply.body, 'meta')
      expect(reply.body).to.deep.equal({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        id,
        userName: 'ann.lee',
        displayName: 'Ann Lee',
        name: { givenName: 'Ann', familyName: 'Lee', middleName: null },
        emails: [{ primary: true, value: 'ann@example.com', type: 'work' }],
        active: true,
        groups: [],
        meta,
      })
      expect(meta).to.deep.include({
        resourceType: 'User',
        location: `${sim.url}${SCIM}/Users/${id}`,
      })
      const after = await state()
      const created = after.memberships.find((m) => m.id === id)
      expect(created).to.deep.include({
        role: 'member',
        status: 'invited',
        isActive: true,
        externalId: 'ann.lee',
      })
      expect(after.users.find((u) => u.id === created?.userId)).to.deep.include({
        username: 'ann@example.com',
        email: 'ann@example.com',
        isEmailVerified: true,
        isAccepted: false,
      })
      expect(after.emails.map(({ to, subject }) => ({ to, subject }))).to.deep.equal([
        { to: 'Ann@Example.com', subject: 'Infisical organization invitation' },
      ])
    })

    it('uses the org default role and the given active flag', async () => {
      await start({ defaultMembershipRole: 'no-access' })
      const id = await create('bob', 'bob@example.com', { active: false })
      expect(await membership(id)).to.deep.include({ role: 'no-access', isActive: false })
    })

    for (const [name, emails] of [
      ['no emails', undefined],
      ['no primary email', [{ value: 'ann@example.com' }]],
      ['primary: false only', [{ primary: false, value: 'ann@example.com' }]],
    ] as const) {
      it(`answers 400 "Missing email." for ${name}`, async () => {
        const reply = await scim('POST', '/Users', {
          body: { ...userBody('ann', 'x@example.com'), emails },
        })
        expect(reply.status).to.equal(400)
        expect(reply.body).to.deep.equal({
          schemas: [ERROR_SCHEMA],
          status: 400,
          detail: 'Invalid request. Missing email.',
        })
        expect((await state()).memberships).to.have.length(1)
      })
    }

    it('answers an existing alias with its membership, creating nothing but mailing again', async () => {
      const id = await create('ann', 'ann@example.com')
      const again = await scim('POST', '/Users', {
        body: userBody('ann', 'other@example.com', { name: { givenName: 'X', familyName: 'Y' } }),
      })
      expect(again.status).to.equal(200)
      expect(again.body).to.deep.include({ id, userName: 'ann', displayName: 'Ann Lee' })
      const after = await state()
      expect(after.memberships).to.have.length(2)
      expect(after.users).to.have.length(2)
      expect(after.emails).to.have.length(2)
    })

    it('gives an existing verified account its membership back under the new alias', async () => {
      const reply = await scim('POST', '/Users', {
        body: userBody('olive', 'OWNER@acme.example'),
      })
      expect(reply.body).to.deep.include({ id: OWNER, userName: 'olive' })
      expect(await membership(OWNER)).to.deep.include({
        status: 'accepted',
        role: 'admin',
        externalId: 'olive',
      })
      expect((await state()).users).to.have.length(1)
    })

    it('makes an accepted membership for a set-up account that left the org', async () => {
      await api('DELETE', `${MEMBERSHIPS}/${OWNER}`)
      const id = await create('olive', 'owner@acme.example')
      expect(id).not.to.equal(OWNER)
      expect(await membership(id)).to.deep.include({ status: 'accepted', role: 'member' })
    })

    it('does not reuse an unverified account, and slugs the username without trusted emails', async () => {
      await start({
        trustEmails: false,
        users: [{ email: 'ann@example.com', isEmailVerified: false, username: 'ann-lee' }],
      })
      const id = await create('ann', 'ann@example.com')
      const after = await state()
      expect(after.users).to.have.length(2)
      const created = after.users.find(
        (u) => u.id === after.memberships.find((m) => m.id === id)?.userId,
      )
      expect(created).to.deep.include({ username: 'ann-lee-2', isEmailVerified: false })
    })
  })

  describe('GET /Users', () => {
    beforeEach(async () => {
      await create('ann', 'ann@example.com')
      await create('bob', 'bob@example.com', { name: { givenName: 'Bob', familyName: 'Ray' } })
      await create('cat', 'cat@example.com', { name: { givenName: 'Cat', familyName: 'Fox' } })
    })
    const list = async (query: string) => {
      const reply = await scim('GET', `/Users?${query}`)
      expect(reply.status, JSON.stringify(reply.body)).to.equal(200)
      return reply.body
    }
    const names = (body: unknown) =>
      (pick(body, 'Resources') as unknown[]).map((user) => pick(user, 'userName'))

    it('counts only the current page in totalResults', async () => {
      const first = await list('startIndex=1&count=2')
      expect(first).to.deep.include({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        startIndex: 1,
        itemsPerPage: 2,
        totalResults: 2,
      })
      expect(names(first)).to.deep.equal(['owner@acme.example', 'ann'])
      const second = await list('startIndex=3&count=2')
      expect(second).to.deep.include({ totalResults: 2, startIndex: 3 })
      expect(names(second)).to.deep.equal(['bob', 'cat'])
      const last = await list('startIndex=5&count=2')
      expect(last).to.deep.include({ totalResults: 0, Resources: [] })
    })

    it('pages 20 at a time by default', async () => {
      await start({
        users: Array.from({ length: 25 }, (_, i) => ({ email: `u${i}@example.com` })),
      })
      const body = await list('')
      expect(body).to.deep.include({ startIndex: 1, itemsPerPage: 20, totalResults: 20 })
    })

    // userName compares the email, not the alias.
    const filters: [string, string[]][] = [
      ['userName eq "bob@example.com"', ['bob']],
      ['userName eq "BOB@example.com"', ['bob']],
      ['userName eq "bob"', []],
      ['displayName eq "Cat Fox"', ['cat']],
      ['displayName eq "Cat"', []],
    ]
    for (const [filter, expected] of filters) {
      it(`filters ${filter}`, async () => {
        const body = await list(`filter=${encodeURIComponent(filter)}`)
        expect(names(body)).to.deep.equal(expected)
        expect(pick(body, 'totalResults')).to.equal(expected.length)
      })
    }

    for (const filter of ['emails eq "a@b.c"', 'userName sw "a"', 'active eq true']) {
      it(`answers 400 for ${filter}`, async () => {
        const reply = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`)
        expect(reply.status).to.equal(400)
        expect(reply.body).to.deep.include({ schemas: [ERROR_SCHEMA], status: 400 })
      })
    }

    it('answers 404 for an unknown id', async () => {
      const reply = await scim('GET', '/Users/00000000-0000-4000-8000-000000000000')
      expect(reply.status).to.equal(404)
      expect(reply.body).to.deep.equal({
        schemas: [ERROR_SCHEMA],
        status: 404,
        detail: 'User not found',
      })
    })
  })

  describe('PUT, PATCH and DELETE /Users/{id}', () => {
    let id: string
    beforeEach(async () => {
      id = await create('ann', 'ann@example.com')
    })

    it('PUT stores alias, names, active and the lowercased email, answering the old email', async () => {
      const reply = await scim('PUT', `/Users/${id}`, {
        body: userBody('ann.lee', 'Ann.Lee@New.example', {
          name: { givenName: 'Anne', familyName: 'Li' },
          active: false,
        }),
      })
      expect(reply.status).to.equal(200)
      expect(reply.body).to.deep.include({
        id,
        userName: 'ann.lee',
        active: false,
        emails: [{ primary: true, value: 'ann@example.com', type: 'work' }],
      })
      const stored = await scim('GET', `/Users/${id}`)
      expect(stored.body).to.deep.include({
        userName: 'ann.lee',
        displayName: 'Anne Li',
        active: false,
        emails: [{ primary: true, value: 'ann.lee@new.example', type: 'work' }],
      })
    })

    const patches: [string, unknown[], Record<string, unknown>][] = [
      ['replace active', [{ op: 'replace', path: 'active', value: false }], { active: false }],
      [
        'Entra "Replace" with a string',
        [{ op: 'Replace', path: 'active', value: 'False' }],
        { active: false },
      ],
      [
        'add name.givenName',
        [{ op: 'add', path: 'name.givenName', value: 'Anne' }],
        { displayName: 'Anne Lee' },
      ],
      [
        'the work email, lowercased',
        [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'ANN@New.example' }],
        { emails: [{ primary: true, value: 'ann@new.example', type: 'work' }] },
      ],
      [
        'emails as a list',
        [{ op: 'replace', path: 'emails', value: [{ primary: true, value: 'x@new.example' }] }],
        { emails: [{ primary: true, value: 'x@new.example', type: 'work' }] },
      ],
      [
        'a path-less object',
        [{ op: 'replace', value: { active: false, 'name.familyName': 'Li' } }],
        { active: false, displayName: 'Ann Li' },
      ],
      [
        'remove name.familyName, which changes nothing stored',
        [{ op: 'remove', path: 'name.familyName' }],
        { displayName: 'Ann Lee' },
      ],
    ]
    for (const [name, operations, expected] of patches) {
      it(`PATCH applies ${name} and stores it`, async () => {
        const reply = await scim('PATCH', `/Users/${id}`, { body: patchOf(...operations) })
        expect(reply.status, JSON.stringify(reply.body)).to.equal(200)
        expect(reply.body).to.deep.include(expected)
        expect((await scim('GET', `/Users/${id}`)).body).to.deep.include(expected)
      })
    }

    it('PATCH answers a new userName without moving the alias', async () => {
      const reply = await scim('PATCH', `/Users/${id}`, {
        body: patchOf({ op: 'replace', path: 'userName', value: 'annie' }),
      })
      expect(pick(reply.body, 'userName')).to.equal('annie')
      expect(await membership(id)).to.deep.include({ externalId: 'ann' })
    })

    const refusals: [string, unknown][] = [
      ['an unknown path', patchOf({ op: 'replace', path: 'title', value: 'x' })],
      ['an unknown op', patchOf({ op: 'REPLACE', path: 'active', value: false })],
      ['a non-boolean active', patchOf({ op: 'replace', path: 'active', value: 3 })],
      ['removing the email', patchOf({ op: 'remove', path: 'emails' })],
      ['no Operations', { schemas: [PATCH_SCHEMA] }],
    ]
    for (const [name, body] of refusals) {
      it(`PATCH answers 400 for ${name}`, async () => {
        const reply = await scim('PATCH', `/Users/${id}`, { body })
        expect(reply.status).to.equal(400)
        expect(reply.body).to.deep.include({ schemas: [ERROR_SCHEMA], status: 400 })
      })
    }

    it('DELETE answers 200 {} and removes the membership from its groups', async () => {
      const group = await scim('POST', '/Groups', {
        body: { displayName: 'Eng', members: [{ value: id }, { value: OWNER }] },
      })
      const reply = await scim('DELETE', `/Users/${id}`)
      expect(reply.status).to.equal(200)
      expect(reply.body).to.deep.equal({})
      expect((await scim('GET', `/Users/${id}`)).status).to.equal(404)
      expect((await scim('DELETE', `/Users/${id}`)).status).to.equal(404)
      const after = await state()
      expect(after.memberships.map((m) => m.id)).to.deep.equal([OWNER])
      expect(after.users).to.have.length(2) // the account itself stays
      expect(after.groups.find((g) => g.id === pick(group.body, 'id'))?.members).to.deep.equal([
        OWNER,
      ])
    })
  })

  describe('Groups', () => {
    let ann: string
    let bob: string
    beforeEach(async () => {
      ann = await create('ann', 'ann@example.com')
      bob = await create('bob', 'bob@example.com', {
        name: { givenName: 'Bob', familyName: 'Ray' },
      })
    })
    const createGroup = async (displayName: string, members: string[] = []) => {
      const reply = await scim('POST', '/Groups', {
        body: { displayName, members: members.map((value) => ({ value, display: value })) },
      })
      expect(reply.status, JSON.stringify(reply.body)).to.equal(200)
      return String(pick(reply.body, 'id'))
    }
    const membersOf = async (id: string) =>
      ((pick((await scim('GET', `/Groups/${id}`)).body, 'members') as unknown[]) ?? []).map(
        (member) => pick(member, 'value'),
      )
    const patchGroup = (id: string, ...operations: unknown[]) =>
      scim('PATCH', `/Groups/${id}`, { body: patchOf(...operations) })

    it('POST answers 200 with the group, and the group grants no-access', async () => {
      const reply = await scim('POST', '/Groups', {
        body: { displayName: 'Engineering', members: [{ value: ann }] },
      })
      expect(reply.status).to.equal(200)
      const id = String(pick(reply.body, 'id'))
      expect(reply.body).to.deep.include({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        id,
        displayName: 'Engineering',
        members: [{ value: ann, display: 'Ann Lee' }],
      })
      expect(pick(reply.body, 'meta', 'resourceType')).to.equal('Group')
      expect((await state()).groups).to.deep.equal([
        { id, displayName: 'Engineering', role: 'no-access', members: [ann] },
      ])
    })

    it('refuses a duplicate displayName with 409', async () => {
      await createGroup('Engineering')
      const reply = await scim('POST', '/Groups', { body: { displayName: 'Engineering' } })
      expect(reply.status).to.equal(409)
      expect(reply.body).to.deep.include({ schemas: [ERROR_SCHEMA], status: 409 })
      expect((await state()).groups).to.have.length(1)
    })

    it('refuses a member that is not a membership of the org, naming it', async () => {
      const reply = await scim('POST', '/Groups', {
        body: { displayName: 'Eng', members: [{ value: ann }, { value: 'not-a-member' }] },
      })
      expect(reply.status).to.equal(400)
      expect(String(pick(reply.body, 'detail'))).to.include('not-a-member')
      expect((await state()).groups).to.have.length(0)
    })

    it('lists with the totalResults quirk and filters on displayName', async () => {
      await createGroup('A')
      await createGroup('B')
      await createGroup('C')
      const page = await scim('GET', '/Groups?startIndex=2&count=5')
      expect(page.body).to.deep.include({ totalResults: 2, startIndex: 2, itemsPerPage: 5 })
      const filtered = await scim(
        'GET',
        `/Groups?filter=${encodeURIComponent('displayName eq "B"')}`,
      )
      expect(pick(filtered.body, 'Resources', 0, 'displayName')).to.equal('B')
      expect(pick(filtered.body, 'totalResults')).to.equal(1)
      const refused = await scim('GET', `/Groups?filter=${encodeURIComponent('id eq "x"')}`)
      expect(refused.status).to.equal(400)
    })

    it('PUT replaces the name and the members', async () => {
      const id = await createGroup('Eng', [ann])
      const reply = await scim('PUT', `/Groups/${id}`, {
        body: { displayName: 'Platform', members: [{ value: bob }] },
      })
      expect(reply.status).to.equal(200)
      expect(reply.body).to.deep.include({
        displayName: 'Platform',
        members: [{ value: bob, display: 'Bob Ray' }],
      })
    })

    it('PATCH adds, removes by filter, by value, all, and replaces members', async () => {
      const id = await createGroup('Eng')
      await patchGroup(id, { op: 'add', path: 'members', value: [{ value: ann }, { value: bob }] })
      expect(await membersOf(id)).to.deep.equal([ann, bob])
      await patchGroup(id, { op: 'remove', path: `members[value eq "${ann}"]` })
      expect(await membersOf(id)).to.deep.equal([bob])
      await patchGroup(id, { op: 'Add', path: 'members', value: [{ value: ann }] })
      await patchGroup(id, { op: 'Remove', path: 'members', value: [{ value: bob }] })
      expect(await membersOf(id)).to.deep.equal([ann])
      await patchGroup(id, {
        op: 'replace',
        path: 'members',
        value: [{ value: bob }, { value: OWNER }],
      })
      expect(await membersOf(id)).to.deep.equal([bob, OWNER])
      await patchGroup(id, { op: 'remove', path: 'members' })
      expect(await membersOf(id)).to.deep.equal([])
      const unknown = await patchGroup(id, {
        op: 'add',
        path: 'members',
        value: [{ value: 'nope' }],
      })
      expect(unknown.status).to.equal(400)
    })

    it('PATCH renames, carrying the role mapping to the new name', async () => {
      await start({ groupRoleMappings: { Eng: 'admin' } })
      const id = await createGroup('Eng')
      const reply = await patchGroup(id, {
        op: 'replace',
        value: { id, displayName: 'Engineering' },
      })
      expect(reply.body).to.deep.include({ displayName: 'Engineering' })
      expect((await state()).org.groupRoleMappings).to.deep.equal({ Engineering: 'admin' })
    })

    it('PATCH refuses a rename onto another group with 409', async () => {
      await createGroup('A')
      const id = await createGroup('B')
      const reply = await patchGroup(id, { op: 'replace', path: 'displayName', value: 'A' })
      expect(reply.status).to.equal(409)
    })

    it('DELETE answers 200 {} and the group is gone', async () => {
      const id = await createGroup('Eng', [ann])
      const reply = await scim('DELETE', `/Groups/${id}`)
      expect(reply.status).to.equal(200)
      expect(reply.body).to.deep.equal({})
      const gone = await scim('GET', `/Groups/${id}`)
      expect(gone.status).to.equal(404)
      expect(gone.body).to.deep.include({ detail: 'Group Not Found' })
    })

    describe('group → role mapping', () => {
      beforeEach(() => patchOrg({ groupRoleMappings: { Admins: 'admin' } }))

      it('gives an invited member the mapped role when it joins', async () => {
        await createGroup('Admins', [ann])
        expect(await membership(ann)).to.deep.include({ role: 'admin', status: 'invited' })
        expect(await membership(bob)).to.deep.include({ role: 'member' })
      })

      it('never changes an accepted member', async () => {
        await completeSetup(bob)
        const id = await createGroup('Admins')
        await patchGroup(id, {
          op: 'add',
          path: 'members',
          value: [{ value: bob }, { value: OWNER }],
        })
        expect(await membership(bob)).to.deep.include({ role: 'member', status: 'accepted' })
        expect(await membership(OWNER)).to.deep.include({ role: 'admin' })
        await patchOrg({ groupRoleMappings: { Admins: 'no-access' } })
        await patchGroup(id, { op: 'remove', path: 'members' })
        await patchGroup(id, { op: 'add', path: 'members', value: [{ value: OWNER }] })
        expect(await membership(OWNER)).to.deep.include({ role: 'admin' })
      })

      it('applies to members added later, not to groups without a mapping', async () => {
        const other = await createGroup('Other', [ann])
        expect(await membership(ann)).to.deep.include({ role: 'member' })
        const id = await createGroup('Admins')
        await scim('PUT', `/Groups/${id}`, {
          body: { displayName: 'Admins', members: [{ value: ann }] },
        })
        expect(await membership(ann)).to.deep.include({ role: 'admin' })
        expect(await membersOf(other)).to.deep.equal([ann])
      })
    })
  })

  describe('/_sim hooks', () => {
    it('complete-setup accepts the membership and the account', async () => {
      const id = await create('ann', 'ann@example.com')
      const reply = await completeSetup(id)
      expect(reply.status).to.equal(200)
      expect(pick(reply.body, 'membership', 'status')).to.equal('accepted')
      const after = await state()
      const accepted = after.memberships.find((m) => m.id === id)
      expect(accepted?.status).to.equal('accepted')
      expect(after.users.find((u) => u.id === accepted?.userId)?.isAccepted).to.equal(true)
    })

    it('complete-setup answers 404 for an unknown membership', async () => {
      const reply = await completeSetup('00000000-0000-4000-8000-000000000000')
      expect(reply.status).to.equal(404)
      expect(reply.body).to.deep.include({ statusCode: 404, error: 'NotFound' })
    })

    it('PATCH /_sim/org refuses a malformed body and reset restores everything', async () => {
      expect((await patchOrg({ authMethod: 'ldap' })).status).to.equal(400)
      expect((await patchOrg({ plan: { scim: 'no' } })).status).to.equal(400)
      await patchOrg({ scimEnabled: false, plan: { groups: false } })
      expect((await state()).org).to.deep.include({
        scimEnabled: false,
        plan: { scim: true, groups: false },
      })
      await call(sim.url, 'POST', '/_sim/reset')
      expect((await state()).org).to.deep.include({
        scimEnabled: true,
        plan: { scim: true, groups: true },
      })
      await create('ann', 'ann@example.com')
      await call(sim.url, 'POST', '/_sim/reset')
      const after = await state()
      expect(after.memberships.map((m) => m.id)).to.deep.equal([OWNER])
      expect(after.emails).to.deep.equal([])
    })
  })

  describe('native organisation API', () => {
    const ownerShape = {
      id: OWNER,
      role: 'admin',
      roleId: null,
      status: 'accepted',
      inviteEmail: 'owner@acme.example',
      isActive: true,
      user: {
        id: INFISICAL_DEFAULTS.owner.userId,
        username: 'owner@acme.example',
        email: 'owner@acme.example',
        firstName: 'Olive',
        lastName: 'Owner',
      },
    }

    it('lists memberships on v1 users and v2 memberships alike', async () => {
      const id = await create('ann', 'ann@example.com')
      const v1 = await api('GET', `/api/v1/organization/${ORG}/users`)
      expect(v1.status).to.equal(200)
      expect(pick(v1.body, 'users', 0)).to.deep.equal(ownerShape)
      expect(pick(v1.body, 'users', 1)).to.deep.include({ id, role: 'member', status: 'invited' })
      const v2 = await api('GET', MEMBERSHIPS)
      expect(v2.body).to.deep.equal(v1.body)
    })

    it('reads, patches and deletes one membership', async () => {
      const id = await create('ann', 'ann@example.com')
      const one = await api('GET', `${MEMBERSHIPS}/${OWNER}`)
      expect(one.body).to.deep.equal({ membership: ownerShape })
      const patched = await api('PATCH', `${MEMBERSHIPS}/${id}`, {
        body: { role: 'no-access', isActive: false },
      })
      expect(patched.status).to.equal(200)
      expect(pick(patched.body, 'membership')).to.deep.include({
        id,
        role: 'no-access',
        isActive: false,
      })
      expect(
        (await api('PATCH', `${MEMBERSHIPS}/${id}`, { body: { role: 'Admin!' } })).status,
      ).to.equal(422)
      const deleted = await api('DELETE', `${MEMBERSHIPS}/${id}`)
      expect(pick(deleted.body, 'membership', 'id')).to.equal(id)
      const missing = await api('GET', `${MEMBERSHIPS}/${id}`)
      expect(missing.status).to.equal(404)
      expect(missing.body).to.deep.include({ statusCode: 404, error: 'NotFound' })
      expect((await scim('GET', `/Users/${id}`)).status).to.equal(404)
    })

    it('answers 403 for another organisation', async () => {
      const other = '11111111-1111-4111-8111-111111111111'
      for (const path of [
        `/api/v1/organization/${other}/users`,
        `/api/v2/organizations/${other}/memberships`,
        `/api/v2/organizations/${other}/memberships/${OWNER}`,
      ]) {
        const reply = await api('GET', path)
        expect(reply.status).to.equal(403)
        expect(reply.body).to.deep.include({ statusCode: 403, error: 'ForbiddenError' })
      }
    })

    it('invites by email: an invited membership, an email and a link', async () => {
      const reply = await api('POST', '/api/v1/invite-org/signup', {
        body: { inviteeEmails: ['dan@example.com'], organizationId: ORG },
      })
      expect(reply.status).to.equal(200)
      expect(pick(reply.body, 'message')).to.equal('Send an invite link to dan@example.com')
      expect(pick(reply.body, 'completeInviteLinks', 0, 'email')).to.equal('dan@example.com')
      expect(String(pick(reply.body, 'completeInviteLinks', 0, 'link'))).to.match(
        /^http:\/\/127\.0\.0\.1:\d+\/signupinvite\?token=/,
      )
      const after = await state()
      expect(after.memberships[1]).to.deep.include({ role: 'member', status: 'invited' })
      expect(after.emails.map((e) => e.to)).to.deep.equal(['dan@example.com'])
    })

    it('refuses to invite an accepted member, or an uppercase email', async () => {
      const member = await api('POST', '/api/v1/invite-org/signup', {
        body: { inviteeEmails: ['owner@acme.example'], organizationId: ORG },
      })
      expect(member.status).to.equal(400)
      expect(member.body).to.deep.include({ error: 'BadRequest' })
      const upper = await api('POST', '/api/v1/invite-org/signup', {
        body: { inviteeEmails: ['Dan@example.com'], organizationId: ORG },
      })
      expect(upper.status).to.equal(422)
    })

    it('limits invites to 2 per 40 s per credential', async () => {
      const invite = (email: string) =>
        api('POST', '/api/v1/invite-org/signup', {
          body: { inviteeEmails: [email], organizationId: ORG, organizationRoleSlug: 'no-access' },
        })
      expect((await invite('a@example.com')).status).to.equal(200)
      expect((await invite('b@example.com')).status).to.equal(200)
      const limited = await invite('c@example.com')
      expect(limited.status).to.equal(429)
      expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 40)
      expect(pick(limited.body, 'message')).to.match(
        /^Rate limit exceeded\. Please try again in \d+ seconds$/,
      )
      expect((await api('GET', MEMBERSHIPS)).status).to.equal(200) // the global budget is apart
      await call(sim.url, 'POST', '/_sim/clock', { body: { advanceSeconds: 41 } })
      expect((await invite('c@example.com')).status).to.equal(200)
    })
  })

  describe('SCIM tokens', () => {
    const issue = async (ttlDays: number, token: string = USER_TOKEN) =>
      call(sim.url, 'POST', `${SCIM}/scim-tokens`, {
        token,
        body: { organizationId: ORG, description: 'Okta', ttlDays },
      })

    it('issues a token with a user token; it works on SCIM routes only', async () => {
      const reply = await issue(0)
      expect(reply.status).to.equal(200)
      const token = String(pick(reply.body, 'scimToken'))
      expect(token.split('.')).to.have.length(3)
      expect((await scim('GET', '/Users', { token })).status).to.equal(200)
      expect((await api('GET', MEMBERSHIPS, { token })).status).to.equal(401)
      await call(sim.url, 'POST', '/_sim/clock', { body: { advanceSeconds: 3650 * 86_400 } })
      expect((await scim('GET', '/Users', { token })).status).to.equal(200) // 0 = never expires
      await call(sim.url, 'POST', '/_sim/reset')
      expect((await scim('GET', '/Users', { token })).status).to.equal(401)
    })

    it('expires a token after ttlDays on the simulator clock', async () => {
      const token = String(pick((await issue(1)).body, 'scimToken'))
      await call(sim.url, 'POST', '/_sim/clock', { body: { advanceSeconds: 86_400 - 60 } })
      expect((await scim('GET', '/Users', { token })).status).to.equal(200)
      await call(sim.url, 'POST', '/_sim/clock', { body: { advanceSeconds: 120 } })
      const expired = await scim('GET', '/Users', { token })
      expect(expired.status).to.equal(401)
      expect(expired.body).to.deep.equal({
        schemas: [ERROR_SCHEMA],
        status: 401,
        detail: 'The access token expired',
      })
    })

    it('refuses a SCIM token, a bad ttlDays, another org and a plan without SCIM', async () => {
      expect((await issue(0, SCIM_TOKEN)).status).to.equal(401)
      expect((await issue(731)).status).to.equal(422)
      const other = await call(sim.url, 'POST', `${SCIM}/scim-tokens`, {
        token: USER_TOKEN,
        body: { organizationId: 'other', ttlDays: 0 },
      })
      expect(other.status).to.equal(403)
      await patchOrg({ plan: { scim: false } })
      const plan = await issue(0)
      expect(plan.status).to.equal(400)
      expect(plan.body).to.deep.include({ statusCode: 400, error: 'BadRequest' })
    })
  })

  describe('rate limit and faults', () => {
    it('answers 429 with Retry-After and the product message past the budget', async () => {
      await start({ rateLimit: { limit: 3 } })
      for (let i = 0; i < 3; i += 1) expect((await scim('GET', '/Users')).status).to.equal(200)
      const limited = await scim('GET', '/Users')
      expect(limited.status).to.equal(429)
      const seconds = Number(limited.headers.get('retry-after'))
      expect(seconds).to.be.within(1, 60)
      expect(limited.body).to.deep.include({
        statusCode: 429,
        message: `Rate limit exceeded. Please try again in ${seconds} seconds`,
      })
      // Per credential: the user token has its own budget.
      expect((await api('GET', MEMBERSHIPS)).status).to.equal(200)
    })

    it('has the default 600 per minute, and none with rateLimit: false', async () => {
      const burst = (n: number) =>
        Promise.all(Array.from({ length: n }, () => scim('GET', '/Users?count=1')))
      const replies = await burst(601)
      expect(replies.filter((reply) => reply.status === 429)).to.have.length(1)
      await start({ rateLimit: false })
      expect((await burst(700)).every((reply) => reply.status === 200)).to.equal(true)
    })

    it('answers injected faults in the route family shape', async () => {
      await call(sim.url, 'POST', '/_sim/faults', { body: { count: 2, status: 503 } })
      const scimFault = await scim('GET', '/Users')
      expect(scimFault.body).to.deep.include({ schemas: [ERROR_SCHEMA], status: 503 })
      const nativeFault = await api('GET', MEMBERSHIPS)
      expect(nativeFault.body).to.deep.include({ statusCode: 503 })
    })
  })
})
