import { expect } from 'chai'
import { CLUMIO_SUPER_ADMIN_RULE_ID } from '../../../src/simulators/clumio/auto-provisioning.ts'
import {
  CLUMIO_GLOBAL_OU_ID,
  clumioOrganizationalUnitId,
} from '../../../src/simulators/clumio/organizational-units.ts'
import { CLUMIO_ROLE_IDS } from '../../../src/simulators/clumio/roles.ts'
import {
  CLUMIO_DEFAULTS,
  resolveClumioSettings,
  type ClumioSimulatorOptions,
} from '../../../src/simulators/clumio/settings.ts'
import { startClumioSimulator } from '../../../src/simulators/clumio/simulator.ts'
import type { SimulatorHandle } from '../../../src/simulators/common/start.ts'
import { call, pick, type CallOptions, type Reply } from './http.ts'

const TOKEN = CLUMIO_DEFAULTS.token
const SUPER_ADMIN = CLUMIO_ROLE_IDS.superAdmin
const BACKUP_ADMIN = CLUMIO_ROLE_IDS.backupAdmin
const GLOBAL = CLUMIO_GLOBAL_OU_ID
const PROD = clumioOrganizationalUnitId(1)
const UNKNOWN_ID = '99999999-0000-4000-8000-000000000000'
const AUP_REFUSAL =
  'Auto user provisioning is enabled: roles and organizational units are assigned by its rules'

/** Written out here rather than imported, so a typo in the simulator cannot hide. */
const MEDIA = {
  users: 'application/api.clumio.users=v2+json',
  roles: 'application/api.clumio.roles=v1+json',
  units: 'application/api.clumio.organizational-units=v2+json',
  setting: 'application/api.clumio.auto-user-provisioning-settings=v1+json',
  rules: 'application/api.clumio.auto-user-provisioning-rules=v1+json',
}

function acceptFor(path: string): string {
  if (path.startsWith('/users')) return MEDIA.users
  if (path.startsWith('/roles')) return MEDIA.roles
  if (path.startsWith('/organizational-units')) return MEDIA.units
  if (path.startsWith('/settings/auto-user-provisioning/rules')) return MEDIA.rules
  return MEDIA.setting
}

function access(roleId: string, ...unitIds: string[]) {
  return { role_id: roleId, organizational_unit_ids: unitIds }
}

/** Asserts the `errors[]` shape and returns the one error. */
function errorOf(reply: Reply, status: number): { error_code: number; error_message: string } {
  expect(reply.status).to.equal(status)
  expect(reply.headers.get('content-type')).to.match(/^application\/json/)
  expect(reply.body).to.have.keys('errors')
  const errors = pick(reply.body, 'errors') as unknown[]
  expect(errors).to.have.length(1)
  expect(errors[0]).to.have.keys('error_code', 'error_message')
  const error = errors[0] as { error_code: number; error_message: string }
  expect(Number.isInteger(error.error_code)).to.equal(true)
  expect(error.error_message).to.be.a('string').and.not.equal('')
  return error
}

describe('simulators/clumio', () => {
  let sim: SimulatorHandle
  const start = async (options: ClumioSimulatorOptions = {}) => {
    await sim?.close()
    sim = await startClumioSimulator(options)
  }
  const api = (method: string, path: string, options: CallOptions = {}) =>
    call(sim.url, method, path, {
      token: TOKEN,
      ...options,
      headers: { accept: acceptFor(path), ...options.headers },
    })
  const createUser = (email: string, fullName = 'Ann Lee', extra: Record<string, unknown> = {}) =>
    api('POST', '/users', { body: { email, full_name: fullName, ...extra } })
  const patchUser = (id: string, body: unknown) => api('PATCH', `/users/${id}`, { body })
  const hook = (method: string, path: string, body?: unknown) =>
    call(sim.url, method, `/_sim${path}`, { body })
  const state = async () => (await hook('GET', '/state')).body
  const enableAup = async () => {
    const reply = await api('PUT', '/settings/auto-user-provisioning', {
      body: { is_enabled: true },
    })
    expect(reply.status).to.equal(200)
  }

  beforeEach(() => start())
  after(() => sim.close())

  it('has the documented defaults', () => {
    expect(resolveClumioSettings({})).to.deep.include({
      tokens: ['clumio-sim-token'],
      rateLimit: { limit: 60, windowSeconds: 60 },
      organizationalUnits: ['Prod'],
      autoUserProvisioning: false,
    })
    expect(sim.name).to.equal('clumio')
    expect(sim.baseUrl).to.equal(sim.url)
    expect(sim.credential).to.equal(TOKEN)
  })

  it('refuses inconsistent seeds at start', () => {
    expect(() => resolveClumioSettings({ organizationalUnits: ['Prod', 'prod'] })).to.throw(
      TypeError,
    )
    expect(() =>
      resolveClumioSettings({
        users: [
          { email: 'a@x.example', access_control_configuration: [access(UNKNOWN_ID, GLOBAL)] },
        ],
      }),
    ).to.throw(TypeError)
    expect(() => resolveClumioSettings({ users: [{ id: 0, email: 'a@x.example' }] })).to.throw(
      TypeError,
    )
    expect(() => resolveClumioSettings({ rules: [], autoUserProvisioning: true })).to.throw(
      TypeError,
    )
  })

  describe('auth, Accept and errors', () => {
    it('answers 401 in errors[] without a valid bearer token, before checking Accept', async () => {
      errorOf(await call(sim.url, 'GET', '/users', { token: 'wrong' }), 401)
      errorOf(await call(sim.url, 'GET', '/users', { headers: { accept: MEDIA.users } }), 401)
    })

    const families: [string, string, string][] = [
      ['/users', MEDIA.users, 'application/api.clumio.users=v1+json'],
      ['/users/1', MEDIA.users, MEDIA.roles],
      ['/roles', MEDIA.roles, MEDIA.users],
      [`/roles/${SUPER_ADMIN}`, MEDIA.roles, 'application/json'],
      ['/organizational-units', MEDIA.units, 'application/api.clumio.organizational-units=v1+json'],
      [`/organizational-units/${GLOBAL}`, MEDIA.units, '*/*'],
      ['/settings/auto-user-provisioning', MEDIA.setting, MEDIA.rules],
      ['/settings/auto-user-provisioning/rules', MEDIA.rules, MEDIA.setting],
      [`/settings/auto-user-provisioning/rules/${CLUMIO_SUPER_ADMIN_RULE_ID}`, MEDIA.rules, ''],
    ]
    for (const [path, mediaType, wrong] of families) {
      it(`GET ${path} needs Accept ${mediaType} (406 for "${wrong}") and answers in it`, async () => {
        const refused = await api('GET', path, { headers: { accept: wrong } })
        expect(errorOf(refused, 406).error_message).to.include(mediaType)
        const served = await api('GET', path, { headers: { accept: mediaType } })
        expect(served.status).to.equal(200)
        expect(served.headers.get('content-type')).to.equal(mediaType)
      })
    }

    it('answers 406 without any Accept header, also on writes (nothing is stored)', async () => {
      const reply = await call(sim.url, 'POST', '/users', {
        token: TOKEN,
        body: { email: 'ann@x.example', full_name: 'Ann' },
      })
      errorOf(reply, 406)
      expect(pick(await state(), 'users')).to.have.length(1)
    })

    it('finds its media type in a list of several, with parameters', async () => {
      const accept = `application/json;q=0.5, ${MEDIA.users};q=1`
      expect((await api('GET', '/users', { headers: { accept } })).status).to.equal(200)
    })

    it('reads bodies sent as JSON or as the versioned media type', async () => {
      const reply = await createUser('ann@x.example', 'Ann', {})
      expect(reply.status).to.equal(200)
      const versioned = await api('POST', '/users', {
        body: { email: 'bob@x.example', full_name: 'Bob' },
        contentType: MEDIA.users,
      })
      expect(versioned.status).to.equal(200)
      expect(versioned.body).to.deep.include({ email: 'bob@x.example' })
    })

    it('answers unknown paths and bad JSON in errors[] with stable integer codes', async () => {
      const missing = errorOf(await api('GET', '/nothing'), 404)
      expect(missing.error_code).to.equal(14040)
      const response = await fetch(`${sim.url}/users`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          accept: MEDIA.users,
          'content-type': 'application/json',
        },
        body: '{"email":',
      })
      const reply = {
        status: response.status,
        headers: response.headers,
        body: await response.json(),
      }
      expect(errorOf(reply, 400).error_code).to.equal(14001)
    })
  })

  describe('roles', () => {
    it('lists the five built-in roles with user counts', async () => {
      await createUser('ann@x.example', 'Ann', {
        access_control_configuration: [access(BACKUP_ADMIN, PROD)],
      })
      const reply = await api('GET', '/roles')
      expect(reply.body).to.deep.include({ current_count: 5, total_count: 5 })
      const items = pick(reply.body, '_embedded', 'items') as Record<string, unknown>[]
      expect(items.map((role) => role.name)).to.deep.equal([
        'Super Admin',
        'Organizational Unit Admin',
        'Backup Admin',
        'Helpdesk Admin',
        'Reporting Admin',
      ])
      expect(items[0]).to.have.keys('id', 'name', 'description', 'permissions', 'user_count')
      expect(items.map((role) => [role.id, role.user_count])).to.deep.equal([
        [SUPER_ADMIN, 1],
        [CLUMIO_ROLE_IDS.organizationalUnitAdmin, 0],
        [BACKUP_ADMIN, 1],
        [CLUMIO_ROLE_IDS.helpdeskAdmin, 0],
        [CLUMIO_ROLE_IDS.reportingAdmin, 0],
      ])
    })

    it('gets one role by id, 404 for an unknown id; roles are read-only', async () => {
      const reply = await api('GET', `/roles/${BACKUP_ADMIN}`)
      expect(reply.body).to.deep.include({ id: BACKUP_ADMIN, name: 'Backup Admin', user_count: 0 })
      errorOf(await api('GET', `/roles/${UNKNOWN_ID}`), 404)
      errorOf(await api('POST', '/roles', { body: { name: 'X' } }), 404)
    })
  })

  describe('organizational units', () => {
    it('seeds Global and the configured names under it', async () => {
      await start({ organizationalUnits: ['Prod', 'Dev'] })
      const reply = await api('GET', '/organizational-units')
      expect(reply.body).to.deep.equal({
        _embedded: {
          items: [
            { id: GLOBAL, name: 'Global', description: '', parent_id: null, user_count: 1 },
            { id: PROD, name: 'Prod', description: '', parent_id: GLOBAL, user_count: 0 },
            {
              id: clumioOrganizationalUnitId(2),
              name: 'Dev',
              description: '',
              parent_id: GLOBAL,
              user_count: 0,
            },
          ],
        },
        current_count: 3,
        total_count: 3,
      })
    })

    it('creates, reads, renames and deletes an OU', async () => {
      const created = await api('POST', '/organizational-units', {
        body: { name: 'Finance', description: 'Money', parent_id: PROD },
      })
      expect(created.status).to.equal(200)
      const id = clumioOrganizationalUnitId(2)
      expect(created.body).to.deep.equal({
        id,
        name: 'Finance',
        description: 'Money',
        parent_id: PROD,
        user_count: 0,
      })
      const renamed = await api('PATCH', `/organizational-units/${id}`, {
        body: { name: 'Treasury' },
      })
      expect(renamed.body).to.deep.include({ name: 'Treasury', description: 'Money' })
      expect((await api('GET', `/organizational-units/${id}`)).body).to.deep.include({
        name: 'Treasury',
      })
      expect((await api('DELETE', `/organizational-units/${id}`)).status).to.equal(200)
      errorOf(await api('GET', `/organizational-units/${id}`), 404)
    })

    it('defaults the parent to Global', async () => {
      const reply = await api('POST', '/organizational-units', { body: { name: 'Dev' } })
      expect(reply.body).to.deep.include({ parent_id: GLOBAL })
    })

    it('answers 409 for a duplicate name, 400 for a missing name or an unknown parent', async () => {
      errorOf(await api('POST', '/organizational-units', { body: { name: 'prod' } }), 409)
      errorOf(
        await api('PATCH', `/organizational-units/${PROD}`, { body: { name: 'Global' } }),
        409,
      )
      errorOf(await api('POST', '/organizational-units', { body: { description: 'x' } }), 400)
      errorOf(
        await api('POST', '/organizational-units', { body: { name: 'X', parent_id: UNKNOWN_ID } }),
        400,
      )
    })

    it('never deletes Global, nor an OU still in use (409); 404 for an unknown OU', async () => {
      errorOf(await api('DELETE', `/organizational-units/${GLOBAL}`), 409)
      await createUser('ann@x.example', 'Ann', {
        access_control_configuration: [access(BACKUP_ADMIN, PROD)],
      })
      const inUse = errorOf(await api('DELETE', `/organizational-units/${PROD}`), 409)
      expect(inUse.error_message).to.include('ann@x.example')
      errorOf(await api('DELETE', `/organizational-units/${UNKNOWN_ID}`), 404)
    })
  })

  describe('POST /users', () => {
    it('invites: lowercased email, is_confirmed false, is_enabled true, 200, an invitation sent', async () => {
      const reply = await createUser('Ann.Lee@X.Example', 'Ann Lee', {
        access_control_configuration: [access(BACKUP_ADMIN, PROD, GLOBAL)],
      })
      expect(reply.status).to.equal(200)
      expect(reply.headers.get('content-type')).to.equal(MEDIA.users)
      expect(reply.body).to.deep.equal({
        id: '2',
        email: 'ann.lee@x.example',
        full_name: 'Ann Lee',
        inviter: '1',
        is_confirmed: false,
        is_enabled: true,
        last_activity_timestamp: null,
        organizational_unit_count: 2,
        access_control_configuration: [access(BACKUP_ADMIN, PROD, GLOBAL)],
      })
      const invitations = pick(await state(), 'invitations') as unknown[]
      expect(invitations).to.have.length(1)
      expect(invitations[0]).to.have.keys('to', 'at')
      expect(invitations[0]).to.deep.include({ to: 'ann.lee@x.example' })
    })

    it('answers 409 for an existing email, whatever its case; nothing more is sent', async () => {
      await createUser('ann@x.example')
      const again = errorOf(await createUser('ANN@x.example'), 409)
      expect(again.error_code).to.equal(14090)
      errorOf(await createUser('Owner@Acme.example'), 409)
      expect(pick(await state(), 'invitations')).to.have.length(1)
    })

    const bad: [string, unknown][] = [
      ['no email', { full_name: 'Ann' }],
      ['an invalid email', { email: 'not-an-email', full_name: 'Ann' }],
      ['no full_name', { email: 'ann@x.example' }],
      ['an empty full_name', { email: 'ann@x.example', full_name: ' ' }],
      ['a non-string full_name', { email: 'ann@x.example', full_name: 7 }],
      ['a non-object', ['ann@x.example']],
      [
        'access that is not an array',
        { email: 'a@x.example', full_name: 'A', access_control_configuration: {} },
      ],
      [
        'an access entry without OUs',
        {
          email: 'a@x.example',
          full_name: 'A',
          access_control_configuration: [access(SUPER_ADMIN)],
        },
      ],
      [
        'an unknown role',
        {
          email: 'a@x.example',
          full_name: 'A',
          access_control_configuration: [access(UNKNOWN_ID, GLOBAL)],
        },
      ],
      [
        'an unknown OU',
        {
          email: 'a@x.example',
          full_name: 'A',
          access_control_configuration: [access(SUPER_ADMIN, UNKNOWN_ID)],
        },
      ],
    ]
    for (const [name, body] of bad) {
      it(`answers 400 for ${name}, storing nothing`, async () => {
        errorOf(await api('POST', '/users', { body }), 400)
        expect(pick(await state(), 'users')).to.have.length(1)
        expect(pick(await state(), 'invitations')).to.deep.equal([])
      })
    }

    it('continues ids after the highest seeded id', async () => {
      await start({ users: [{ id: 7, email: 'seven@x.example', full_name: 'Seven' }] })
      expect(pick((await createUser('ann@x.example')).body, 'id')).to.equal('8')
    })
  })

  describe('GET /users', () => {
    beforeEach(async () => {
      await createUser('bob@x.example', 'Bob Backup', {
        access_control_configuration: [access(BACKUP_ADMIN, PROD)],
      })
      for (const name of ['Cara', 'Dan', 'Eve']) await createUser(`${name}@x.example`, name)
    })

    it('answers the list envelope, sorted by numeric id', async () => {
      await start({
        users: [
          { id: 10, email: 'ten@x.example', full_name: 'Ten' },
          { id: 2, email: 'two@x.example', full_name: 'Two' },
          { id: 9, email: 'nine@x.example', full_name: 'Nine' },
        ],
      })
      const reply = await api('GET', '/users')
      expect(reply.body).to.have.keys(
        '_embedded',
        '_links',
        'current_count',
        'filter_applied',
        'limit',
        'start',
        'total_count',
        'total_pages_count',
      )
      const ids = (pick(reply.body, '_embedded', 'items') as unknown[]).map((u) => pick(u, 'id'))
      expect(ids).to.deep.equal(['2', '9', '10'])
      expect(reply.body).to.deep.include({
        current_count: 3,
        filter_applied: '',
        limit: 100,
        start: 1,
        total_count: 3,
        total_pages_count: 1,
      })
      expect(pick(reply.body, '_links', '_self', 'href')).to.be.a('string')
    })

    it('pages by 1-based page number', async () => {
      const pages: unknown[][] = []
      for (const start of [1, 2, 3, 4]) {
        const reply = await api('GET', `/users?limit=2&start=${start}`)
        expect(reply.body).to.deep.include({
          limit: 2,
          start,
          total_count: 5,
          total_pages_count: 3,
        })
        pages.push((pick(reply.body, '_embedded', 'items') as unknown[]).map((u) => pick(u, 'id')))
      }
      expect(pages).to.deep.equal([['1', '2'], ['3', '4'], ['5'], []])
      const first = await api('GET', '/users?limit=2')
      expect(pick(first.body, '_embedded', 'items', 0, 'id')).to.equal('1')
      expect(pick(first.body, '_links', '_next', 'href')).to.include('start=2')
    })

    for (const query of ['limit=101', 'limit=0', 'limit=x', 'start=0', 'start=-1', 'start=a']) {
      it(`answers 400 for ${query}`, async () => {
        errorOf(await api('GET', `/users?${query}`), 400)
      })
    }

    const filter = (value: unknown) => `/users?filter=${encodeURIComponent(JSON.stringify(value))}`
    const idsOf = (reply: Reply) =>
      (pick(reply.body, '_embedded', 'items') as unknown[]).map((u) => pick(u, 'id'))

    it('filters on name $contains (full_name, any case)', async () => {
      const reply = await api('GET', filter({ name: { $contains: 'back' } }))
      expect(idsOf(reply)).to.deep.equal(['2'])
      expect(reply.body).to.deep.include({
        filter_applied: '{"name":{"$contains":"back"}}',
        total_count: 1,
      })
    })

    it('filters on role_id $eq and organizational_unit_id $eq', async () => {
      expect(idsOf(await api('GET', filter({ role_id: { $eq: SUPER_ADMIN } })))).to.deep.equal([
        '1',
      ])
      expect(
        idsOf(await api('GET', filter({ organizational_unit_id: { $eq: PROD } }))),
      ).to.deep.equal(['2'])
      expect(
        idsOf(
          await api('GET', filter({ role_id: { $eq: SUPER_ADMIN }, name: { $contains: 'Bob' } })),
        ),
      ).to.deep.equal([])
    })

    it('has no email filter: 400 saying the field is not supported', async () => {
      const error = errorOf(await api('GET', filter({ email: { $eq: 'bob@x.example' } })), 400)
      expect(error.error_message).to.match(/email.*not supported/)
    })

    const badFilters: [string, string][] = [
      ['not JSON', '/users?filter=%7Bname'],
      ['not an object', filter(['name'])],
      ['another operator', filter({ name: { $eq: 'Bob' } })],
      ['a non-string value', filter({ role_id: { $eq: 3 } })],
      ['an unknown field', filter({ is_enabled: { $eq: 'true' } })],
    ]
    for (const [name, path] of badFilters) {
      it(`answers 400 for a filter that is ${name}`, async () => {
        errorOf(await api('GET', path), 400)
      })
    }
  })

  describe('GET|PATCH|DELETE /users/{id}', () => {
    beforeEach(async () => {
      await createUser('ann@x.example', 'Ann', {
        access_control_configuration: [access(BACKUP_ADMIN, PROD)],
      })
    })

    it('gets a user by integer id; anything else or an absent id is 404', async () => {
      expect((await api('GET', '/users/2')).body).to.deep.include({
        id: '2',
        email: 'ann@x.example',
      })
      errorOf(await api('GET', '/users/99'), 404)
      errorOf(await api('GET', '/users/ann@x.example'), 404)
      errorOf(await api('GET', '/users/2a'), 404)
    })

    it('changes full_name and is_enabled; re-enabling keeps the invitation pending', async () => {
      const renamed = await patchUser('2', { full_name: 'Ann Lee', is_enabled: false })
      expect(renamed.status).to.equal(200)
      expect(renamed.body).to.deep.include({ full_name: 'Ann Lee', is_enabled: false })
      const enabled = await patchUser('2', { is_enabled: true })
      expect(enabled.body).to.deep.include({ is_enabled: true, is_confirmed: false })
    })

    it('refuses any email key: 400 email cannot be changed', async () => {
      const error = errorOf(await patchUser('2', { email: 'ann@x.example' }), 400)
      expect(error.error_message).to.equal('email cannot be changed')
      expect(pick(await state(), 'users', 1, 'email')).to.equal('ann@x.example')
    })

    const badPatches: [string, unknown][] = [
      ['a non-boolean is_enabled', { is_enabled: 'false' }],
      ['an empty full_name', { full_name: '' }],
      ['updates that are not an object', { access_control_configuration_updates: [] }],
      ['add that is not an array', { access_control_configuration_updates: { add: {} } }],
      [
        'an unknown role',
        { access_control_configuration_updates: { add: [access(UNKNOWN_ID, GLOBAL)] } },
      ],
      [
        'an unknown OU in remove',
        { access_control_configuration_updates: { remove: [access(BACKUP_ADMIN, UNKNOWN_ID)] } },
      ],
    ]
    for (const [name, body] of badPatches) {
      it(`answers 400 for ${name}, changing nothing`, async () => {
        errorOf(await patchUser('2', body), 400)
        expect(pick(await state(), 'users', 1)).to.deep.include({
          is_enabled: true,
          full_name: 'Ann',
          access_control_configuration: [access(BACKUP_ADMIN, PROD)],
        })
      })
    }

    it('answers 404 when patching an absent user', async () => {
      errorOf(await patchUser('99', { full_name: 'X' }), 404)
    })

    it('adds and removes (role, OU) pairs; repeats and absent pairs are no-ops', async () => {
      const added = await patchUser('2', {
        access_control_configuration_updates: {
          add: [access(BACKUP_ADMIN, PROD, GLOBAL), access(SUPER_ADMIN, GLOBAL)],
        },
      })
      expect(added.body).to.deep.include({
        organizational_unit_count: 2,
        access_control_configuration: [
          access(BACKUP_ADMIN, PROD, GLOBAL),
          access(SUPER_ADMIN, GLOBAL),
        ],
      })
      const removed = await patchUser('2', {
        access_control_configuration_updates: {
          remove: [access(BACKUP_ADMIN, PROD), access(CLUMIO_ROLE_IDS.helpdeskAdmin, GLOBAL)],
        },
      })
      expect(pick(removed.body, 'access_control_configuration')).to.deep.equal([
        access(BACKUP_ADMIN, GLOBAL),
        access(SUPER_ADMIN, GLOBAL),
      ])
      const emptied = await patchUser('2', {
        access_control_configuration_updates: { remove: [access(BACKUP_ADMIN, GLOBAL)] },
      })
      expect(pick(emptied.body, 'access_control_configuration')).to.deep.equal([
        access(SUPER_ADMIN, GLOBAL),
      ])
    })

    describe('the last Super Admin', () => {
      const demote = {
        access_control_configuration_updates: { remove: [access(SUPER_ADMIN, GLOBAL)] },
      }

      it('cannot lose Super Admin on Global, be disabled or be deleted (409)', async () => {
        const error = errorOf(await patchUser('1', demote), 409)
        expect(error.error_code).to.equal(14091)
        errorOf(await patchUser('1', { is_enabled: false }), 409)
        errorOf(await api('DELETE', '/users/1'), 409)
        expect(pick(await state(), 'users', 0)).to.deep.include({
          is_enabled: true,
          access_control_configuration: [access(SUPER_ADMIN, GLOBAL)],
        })
      })

      it('can be demoted once another enabled Super Admin on Global exists', async () => {
        await patchUser('2', {
          access_control_configuration_updates: { add: [access(SUPER_ADMIN, GLOBAL)] },
        })
        await patchUser('2', { is_enabled: false })
        errorOf(await patchUser('1', demote), 409) // a disabled Super Admin does not count
        await patchUser('2', { is_enabled: true })
        const reply = await patchUser('1', demote)
        expect(reply.status).to.equal(200)
        expect(pick(reply.body, 'access_control_configuration')).to.deep.equal([])
        errorOf(await api('DELETE', '/users/2'), 409)
      })

      it('keeps other changes of the last Super Admin possible', async () => {
        const reply = await patchUser('1', {
          full_name: 'Olive O.',
          access_control_configuration_updates: { add: [access(BACKUP_ADMIN, PROD)] },
        })
        expect(reply.status).to.equal(200)
      })
    })

    it('deletes a user (200), then answers 404', async () => {
      const reply = await api('DELETE', '/users/2')
      expect(reply.status).to.equal(200)
      expect(reply.headers.get('content-type')).to.equal(MEDIA.users)
      errorOf(await api('GET', '/users/2'), 404)
      errorOf(await api('DELETE', '/users/2'), 404)
    })
  })

  describe('auto user provisioning', () => {
    it('is off by default, and the option turns it on', async () => {
      const setting = '/settings/auto-user-provisioning'
      expect((await api('GET', setting)).body).to.deep.equal({ is_enabled: false })
      await start({ autoUserProvisioning: true })
      expect((await api('GET', setting)).body).to.deep.equal({ is_enabled: true })
    })

    it('is switched with PUT {is_enabled}; anything else is 400', async () => {
      const path = '/settings/auto-user-provisioning'
      const reply = await api('PUT', path, { body: { is_enabled: true } })
      expect(reply.body).to.deep.equal({ is_enabled: true })
      expect(reply.headers.get('content-type')).to.equal(MEDIA.setting)
      errorOf(await api('PUT', path, { body: { is_enabled: 'no' } }), 400)
      expect(pick(await state(), 'autoUserProvisioning')).to.deep.equal({ is_enabled: true })
    })

    it('cannot be enabled without a Super Admin → Global rule (409)', async () => {
      await start({ rules: [] })
      const path = '/settings/auto-user-provisioning'
      errorOf(await api('PUT', path, { body: { is_enabled: true } }), 409)
      const rule = {
        name: 'Admins',
        condition: '{"user.groups":{"$in":["Admins"]}}',
        provision: access(SUPER_ADMIN, GLOBAL),
      }
      await api('POST', '/settings/auto-user-provisioning/rules', { body: rule })
      expect((await api('PUT', path, { body: { is_enabled: true } })).status).to.equal(200)
    })

    describe('while enabled', () => {
      beforeEach(enableAup)

      it('refuses roles and OUs on create (403) but creates without them', async () => {
        const refused = await createUser('ann@x.example', 'Ann', {
          access_control_configuration: [access(BACKUP_ADMIN, PROD)],
        })
        expect(errorOf(refused, 403).error_message).to.equal(AUP_REFUSAL)
        expect((await createUser('ann@x.example', 'Ann')).status).to.equal(200)
        const empty = await createUser('bob@x.example', 'Bob', { access_control_configuration: [] })
        expect(empty.status).to.equal(200)
      })

      it('refuses access updates on PATCH (403) but takes names and is_enabled', async () => {
        await createUser('ann@x.example', 'Ann')
        for (const updates of [
          { add: [access(BACKUP_ADMIN, PROD)] },
          { remove: [access(SUPER_ADMIN, GLOBAL)] },
        ]) {
          const reply = await patchUser('2', { access_control_configuration_updates: updates })
          expect(errorOf(reply, 403).error_message).to.equal(AUP_REFUSAL)
        }
        const ok = await patchUser('2', {
          full_name: 'Ann Lee',
          is_enabled: false,
          access_control_configuration_updates: { add: [], remove: [] },
        })
        expect(ok.status).to.equal(200)
      })
    })

    describe('rules', () => {
      const RULES = '/settings/auto-user-provisioning/rules'
      const backupRule = {
        name: 'Backup',
        condition: '{"user.groups":{"$in":["Backup-Ops","Backup-Leads"]}}',
        provision: access(BACKUP_ADMIN, PROD),
      }

      it('seeds the Super Admin → Global rule', async () => {
        const reply = await api('GET', RULES)
        expect(reply.body).to.deep.equal({
          _embedded: {
            items: [
              {
                rule_id: CLUMIO_SUPER_ADMIN_RULE_ID,
                name: 'Super Admin',
                condition: '{"user.groups":{"$eq":"Clumio-SuperAdmins"}}',
                provision: access(SUPER_ADMIN, GLOBAL),
              },
            ],
          },
          current_count: 1,
          total_count: 1,
        })
      })

      it('creates, reads, replaces and deletes a rule', async () => {
        const created = await api('POST', RULES, { body: backupRule })
        expect(created.status).to.equal(200)
        const id = String(pick(created.body, 'rule_id'))
        expect(created.body).to.deep.equal({ rule_id: id, ...backupRule })
        expect((await api('GET', `${RULES}/${id}`)).body).to.deep.equal(created.body)
        const replaced = await api('PUT', `${RULES}/${id}`, {
          body: { ...backupRule, name: 'Backup team', provision: access(BACKUP_ADMIN, GLOBAL) },
        })
        expect(replaced.body).to.deep.include({ rule_id: id, name: 'Backup team' })
        expect((await api('DELETE', `${RULES}/${id}`)).status).to.equal(200)
        errorOf(await api('GET', `${RULES}/${id}`), 404)
        errorOf(await api('PUT', `${RULES}/${id}`, { body: backupRule }), 404)
      })

      it('answers 409 for a duplicate name', async () => {
        errorOf(await api('POST', RULES, { body: { ...backupRule, name: 'super admin' } }), 409)
      })

      it('never loses the last Super Admin → Global rule (409)', async () => {
        const path = `${RULES}/${CLUMIO_SUPER_ADMIN_RULE_ID}`
        errorOf(await api('DELETE', path), 409)
        errorOf(await api('PUT', path, { body: { ...backupRule, name: 'Super Admin' } }), 409)
        expect(pick(await state(), 'rules')).to.have.length(1)
        // Renaming it, or changing its condition, keeps it a Super Admin → Global rule.
        const renamed = await api('PUT', path, {
          body: {
            name: 'Admins',
            condition: '{"user.groups":{"$eq":"Admins"}}',
            provision: access(SUPER_ADMIN, GLOBAL, PROD),
          },
        })
        expect(renamed.status).to.equal(200)
      })

      const badRules: [string, unknown][] = [
        ['no name', { ...backupRule, name: '' }],
        ['a condition that is not a string', { ...backupRule, condition: { 'user.groups': {} } }],
        ['a condition that is not JSON', { ...backupRule, condition: '{user.groups' }],
        [
          'a condition on another field',
          { ...backupRule, condition: '{"user.email":{"$eq":"a"}}' },
        ],
        ['an unknown operator', { ...backupRule, condition: '{"user.groups":{"$ne":"a"}}' }],
        ['$in without an array', { ...backupRule, condition: '{"user.groups":{"$in":"a"}}' }],
        [
          '$contains with $eq',
          { ...backupRule, condition: '{"user.groups":{"$contains":{"$eq":"a"}}}' },
        ],
        ['two operators', { ...backupRule, condition: '{"user.groups":{"$eq":"a","$in":["b"]}}' }],
        ['no OUs', { ...backupRule, provision: access(BACKUP_ADMIN) }],
        ['an unknown role', { ...backupRule, provision: access(UNKNOWN_ID, PROD) }],
        ['an unknown OU', { ...backupRule, provision: access(BACKUP_ADMIN, UNKNOWN_ID) }],
      ]
      for (const [name, body] of badRules) {
        it(`answers 400 for a rule with ${name}`, async () => {
          errorOf(await api('POST', RULES, { body }), 400)
        })
      }

      it('keeps OUs used by a rule from deletion (409)', async () => {
        await api('POST', RULES, { body: backupRule })
        const error = errorOf(await api('DELETE', `/organizational-units/${PROD}`), 409)
        expect(error.error_message).to.include('Backup')
      })
    })
  })

  describe('test hooks', () => {
    it('accept-invite confirms an invited user, once', async () => {
      await createUser('ann@x.example')
      const reply = await hook('POST', '/accept-invite/2')
      expect(reply.status).to.equal(200)
      expect(reply.body).to.deep.include({ id: '2', is_confirmed: true })
      errorOf(await hook('POST', '/accept-invite/2'), 409)
      errorOf(await hook('POST', '/accept-invite/99'), 404)
    })

    describe('login', () => {
      const RULES = '/settings/auto-user-provisioning/rules'
      const rule = (name: string, test: unknown, roleId: string, ...units: string[]) =>
        api('POST', RULES, {
          body: {
            name,
            condition: JSON.stringify({ 'user.groups': test }),
            provision: access(roleId, ...units),
          },
        })
      const login = (email: string, groups: string[]) => hook('POST', '/login', { email, groups })
      const accessOf = (reply: Reply) => pick(reply.body, 'access_control_configuration')

      beforeEach(async () => {
        await createUser('ann@x.example', 'Ann')
        expect(
          (await rule('Backup', { $in: ['Backup-Ops', 'Backup-Leads'] }, BACKUP_ADMIN, PROD))
            .status,
        ).to.equal(200)
        await rule('Help', { $all: ['Help', 'Desk'] }, CLUMIO_ROLE_IDS.helpdeskAdmin, GLOBAL)
        await rule(
          'Report',
          { $contains: { $in: ['report'] } },
          CLUMIO_ROLE_IDS.reportingAdmin,
          PROD,
        )
        await rule(
          'Units',
          { $contains: { $all: ['ou-', '-admin'] } },
          CLUMIO_ROLE_IDS.organizationalUnitAdmin,
          PROD,
        )
      })

      it('changes nothing but the activity while auto user provisioning is off', async () => {
        const reply = await login('ANN@x.example', ['Clumio-SuperAdmins'])
        expect(reply.status).to.equal(200)
        expect(accessOf(reply)).to.deep.equal([])
        expect(pick(reply.body, 'last_activity_timestamp')).to.be.a('string')
        expect(pick(reply.body, 'is_confirmed')).to.equal(true)
      })

      it('replaces roles and OUs with those of the matching rules once enabled', async () => {
        await enableAup()
        const cases: [string[], unknown[]][] = [
          [['Clumio-SuperAdmins'], [access(SUPER_ADMIN, GLOBAL)]],
          [['Backup-Leads', 'Other'], [access(BACKUP_ADMIN, PROD)]],
          [['Help'], []],
          [['Help', 'Desk'], [access(CLUMIO_ROLE_IDS.helpdeskAdmin, GLOBAL)]],
          [['weekly-reports'], [access(CLUMIO_ROLE_IDS.reportingAdmin, PROD)]],
          [['ou-prod', 'prod-admin'], [access(CLUMIO_ROLE_IDS.organizationalUnitAdmin, PROD)]],
          [['ou-prod'], []],
          [
            ['Clumio-SuperAdmins', 'Backup-Ops'],
            [access(SUPER_ADMIN, GLOBAL), access(BACKUP_ADMIN, PROD)],
          ],
          // Group names turned into object ids no longer match any rule.
          [['5f0c7a52-1f0e-4d8b-9c53-0a3d2c1b4e6f'], []],
        ]
        for (const [groups, expected] of cases) {
          const reply = await login('ann@x.example', groups)
          expect(accessOf(reply), groups.join(',')).to.deep.equal(expected)
        }
        expect(pick(await state(), 'users', 1, 'access_control_configuration')).to.deep.equal([])
      })

      it('refuses a disabled user (403), an unknown one (404) and a bad body (400)', async () => {
        await patchUser('2', { is_enabled: false })
        errorOf(await login('ann@x.example', []), 403)
        errorOf(await login('zz@x.example', []), 404)
        errorOf(await hook('POST', '/login', { email: 'ann@x.example', groups: 'Admins' }), 400)
      })
    })

    it('shows the whole state', async () => {
      await createUser('ann@x.example')
      const current = await state()
      expect(current).to.have.keys(
        'autoUserProvisioning',
        'roles',
        'organizationalUnits',
        'rules',
        'users',
        'invitations',
      )
      expect(pick(current, 'roles', 0)).to.deep.equal({ id: SUPER_ADMIN, name: 'Super Admin' })
      expect(pick(current, 'organizationalUnits')).to.deep.equal([
        { id: GLOBAL, name: 'Global', parent_id: null },
        { id: PROD, name: 'Prod', parent_id: GLOBAL },
      ])
      expect(pick(current, 'users', 0)).to.deep.include({
        id: '1',
        email: 'owner@acme.example',
        full_name: 'Olive Owner',
        inviter: '',
        is_confirmed: true,
        is_enabled: true,
        last_activity_timestamp: null,
        access_control_configuration: [access(SUPER_ADMIN, GLOBAL)],
      })
    })

    it('reset restores the seeds: users, ids, OUs, rules, the setting, invitations', async () => {
      const before = await state()
      await createUser('ann@x.example')
      await api('POST', '/organizational-units', { body: { name: 'Dev' } })
      await api('POST', '/settings/auto-user-provisioning/rules', {
        body: {
          name: 'Backup',
          condition: '{"user.groups":{"$eq":"Backup"}}',
          provision: access(BACKUP_ADMIN, PROD),
        },
      })
      await enableAup()
      expect((await hook('POST', '/reset')).status).to.equal(204)
      expect(await state()).to.deep.equal(before)
      expect(pick((await createUser('bob@x.example')).body, 'id')).to.equal('2')
      const unit = await api('POST', '/organizational-units', { body: { name: 'Dev' } })
      expect(pick(unit.body, 'id')).to.equal(clumioOrganizationalUnitId(2))
    })
  })

  describe('limits, faults and the request log', () => {
    it('answers 429 with Retry-After in errors[] over its limit', async () => {
      await start({ rateLimit: { limit: 2 } })
      expect((await api('GET', '/roles')).status).to.equal(200)
      expect((await api('GET', '/roles')).status).to.equal(200)
      const reply = await api('GET', '/roles')
      expect(errorOf(reply, 429).error_code).to.equal(14290)
      expect(Number(reply.headers.get('retry-after'))).to.be.within(1, 60)
      await call(sim.url, 'POST', '/_sim/clock', { body: { advanceSeconds: 61 } })
      expect((await api('GET', '/roles')).status).to.equal(200)
    })

    it('counts per token', async () => {
      await start({ rateLimit: { limit: 1 }, tokens: ['one', 'two'] })
      const get = (token: string) =>
        call(sim.url, 'GET', '/roles', { token, headers: { accept: MEDIA.roles } })
      expect((await get('one')).status).to.equal(200)
      expect((await get('two')).status).to.equal(200)
      expect((await get('one')).status).to.equal(429)
    })

    it('answers injected faults in errors[]', async () => {
      await hook('POST', '/faults', { count: 1, status: 503, retryAfter: 7 })
      const reply = await createUser('ann@x.example')
      expect(errorOf(reply, 503).error_code).to.equal(15030)
      expect(reply.headers.get('retry-after')).to.equal('7')
      expect(pick(await state(), 'users')).to.have.length(1)
    })

    it('logs what the gateway sent, without the token', async () => {
      await patchUser('1', { full_name: 'Olive' })
      const log = (await hook('GET', '/requests')).body
      expect(pick(log, 'requests', 0)).to.deep.include({
        method: 'PATCH',
        path: '/users/1',
        body: { full_name: 'Olive' },
        authorization: 'Bearer',
        status: 200,
      })
      expect(JSON.stringify(log)).not.to.include(TOKEN)
    })
  })
})
