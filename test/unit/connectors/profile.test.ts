import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { formatProblem } from '../../../src/config/yaml-file.ts'
import { renderBody, renderPath } from '../../../src/connectors/mapping.ts'
import { loadProfiles, type ConnectorProfile } from '../../../src/connectors/profile.ts'

const shipped = fileURLToPath(new URL('../../../connectors/', import.meta.url))

/** A valid translate profile; the cases below break one thing each. */
const VALID = `name: acme
product: Acme
mode: translate
resources: [User]
deletePolicy: remove
deletePolicies: [remove, deactivate]
auth: { type: bearer, secret: apiToken }
settings:
  roles: { type: string-list }
maps:
  status: { "true": active, "false": suspended }
rules:
  userName: { required: true, format: email, immutable: true }
  name.givenName: { writeOnCreateOnly: true }
user:
  key: userName
  nativeId: id
  create:
    method: POST
    path: /users
    body:
      email: "{userName|lowercase}"
      firstName: "{name.givenName}"
      role: "{userType}"
  lookup: { method: GET, path: "/users?email={key|lowercase}" }
  update:
    method: PATCH
    path: "/users/{id}"
    body:
      status: "{active|map:status}"
  delete:
    remove: { method: POST, path: "/users/{id}/remove" }
  reactivate: create
`

const PROXY = `name: acme
product: Acme
mode: proxy # @mode
resources: [User]
deletePolicy: hard
deletePolicies: [hard, remove] # @policies
auth: { type: bearer, secret: apiKey }
`

/** VALID with `from` replaced by `to`; `from` must occur exactly once. */
function edit(from: string, to: string, text = VALID): string {
  expect(text.split(from), `VALID has one ${JSON.stringify(from)}`).to.have.length(2)
  return text.replace(from, to)
}

/** The line a `# @marker` comment stands on. */
function lineOf(text: string, marker: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(`# @${marker}`))
  if (index < 0) throw new Error(`no # @${marker} in the profile`)
  return index + 1
}

interface BrokenCase {
  name: string
  /** File name in the folder (default acme.yaml). */
  file?: string
  text: string
  /** Expected problems in order: the marker naming the line, and the message. */
  problems: [marker: string, message: string][]
}

const broken: BrokenCase[] = [
  {
    name: 'an unknown top-level field',
    text: edit('mode: translate\n', 'mode: translate\ncolour: blue # @A\n'),
    problems: [['A', 'unknown field colour']],
  },
  {
    name: 'an unknown field in a rule',
    text: edit(
      '  userName: { required: true, format: email, immutable: true }',
      '  userName: { required: true, lowercase: true } # @A',
    ),
    problems: [['A', 'unknown field rules.userName.lowercase']],
  },
  {
    name: 'an unknown field in a request',
    text: edit('    method: POST\n', '    method: POST\n    headers: { x: y } # @A\n'),
    problems: [['A', 'unknown field user.create.headers']],
  },
  {
    name: 'an unknown field in limits',
    text: edit('auth:', 'limits: { rpm: 5 } # @A\nauth:'),
    problems: [['A', 'unknown field limits.rpm']],
  },
  {
    name: 'a mode that does not exist',
    text: edit('mode: translate', 'mode: soap # @A'),
    problems: [['A', 'mode must be one of translate, proxy']],
  },
  {
    name: 'a missing required field',
    text: edit(
      'name: acme',
      'name: acme # @A',
      edit('auth: { type: bearer, secret: apiToken }\n', ''),
    ),
    problems: [['A', 'missing required field auth']],
  },
  {
    name: 'a rule on an attribute the connector does not map',
    text: edit('rules:\n', 'rules:\n  title: { required: true } # @A\n'),
    problems: [['A', 'rules.title: the connector does not map title']],
  },
  {
    name: 'a rule on an unknown attribute',
    text: edit('rules:\n', 'rules:\n  nope: { required: true } # @A\n'),
    problems: [['A', 'rules.nope: rule on unknown attribute nope']],
  },
  {
    name: 'a rule on a complex attribute',
    text: edit('rules:\n', 'rules:\n  name: { required: true } # @A\n'),
    problems: [['A', 'rules.name: rule on name must name a simple attribute']],
  },
  {
    name: 'allowed values from an undeclared setting',
    text: edit('rules:\n', 'rules:\n  userType: { allowedValues: settings.teams } # @A\n'),
    problems: [['A', 'rules.userType.allowedValues names an undeclared setting settings.teams']],
  },
  {
    name: 'an unknown transform in a body template',
    text: edit('email: "{userName|lowercase}"', 'email: "{userName|shout}" # @A'),
    problems: [['A', 'user.create.body.email: unknown transform shout']],
  },
  {
    name: 'an unknown value map in a body template',
    text: edit('status: "{active|map:status}"', 'status: "{active|map:state}" # @A'),
    problems: [['A', 'user.update.body.status: unknown value map state']],
  },
  {
    name: 'an unknown attribute in a path template',
    text: edit('path: "/users/{id}"', 'path: "/users/{nickname2}" # @A'),
    problems: [['A', 'user.update.path: unknown attribute nickname2']],
  },
  {
    name: 'an unknown attribute in a one-line request',
    text: edit(
      'lookup: { method: GET, path: "/users?email={key|lowercase}" }',
      'lookup: { method: GET, path: "/users?email={mail}" } # @A',
    ),
    problems: [['A', 'user.lookup.path: unknown attribute mail']],
  },
  {
    name: 'a default deletePolicy the profile does not allow',
    text: edit('deletePolicy: remove', 'deletePolicy: hard # @A'),
    problems: [['A', 'deletePolicy hard is not among deletePolicies']],
  },
  {
    name: 'a hard delete without a hard delete request',
    text: edit(
      'deletePolicies: [remove, deactivate]',
      'deletePolicies: [remove, deactivate, hard] # @A',
    ),
    problems: [['A', 'deletePolicy hard needs user.delete.hard']],
  },
  {
    name: 'a deactivating delete when the update does not send active',
    text: edit(
      'deletePolicies: [remove, deactivate]',
      'deletePolicies: [remove, deactivate] # @A',
      edit('status: "{active|map:status}"', 'role: "{userType}"'),
    ),
    problems: [['A', 'deletePolicy deactivate needs user.update to send active']],
  },
  {
    name: 'a name that does not match the file name',
    file: 'other.yaml',
    text: edit('name: acme', 'name: acme # @A'),
    problems: [['A', 'name: acme must match the file name (other)']],
  },
  {
    name: 'the name of the built-in connector',
    file: 'directory.yaml',
    text: edit('name: acme', 'name: directory # @A'),
    problems: [['A', 'directory is the built-in connector']],
  },
  {
    name: 'a translate profile without a user section',
    text: edit('mode: translate', 'mode: translate # @A', VALID.slice(0, VALID.indexOf('user:\n'))),
    problems: [['A', 'a translate profile needs a user section']],
  },
  {
    name: 'a proxy profile without a scim section and with remove deletes',
    text: PROXY,
    problems: [
      ['mode', 'a proxy profile needs a scim section'],
      ['policies', 'a proxy profile supports deactivate and hard deletes only'],
    ],
  },
  {
    name: 'several problems in one file, all at once',
    text: edit(
      'rules:\n',
      'rules:\n  title: { required: true } # @B\n',
      edit(
        'firstName: "{name.givenName}"',
        'firstName: "{name.givenName|shout}" # @C',
        edit('deletePolicy: remove', 'deletePolicy: hard # @A'),
      ),
    ),
    problems: [
      ['A', 'deletePolicy hard is not among deletePolicies'],
      ['C', 'user.create.body.firstName: unknown transform shout'],
      ['B', 'rules.title: the connector does not map title'],
    ],
  },
  {
    name: 'YAML that does not parse',
    text: edit('product: Acme\n', 'product: Acme\nproduct: Other # @A\n'),
    problems: [['A', 'Map keys must be unique']],
  },
]

let root = ''
let counter = 0

/** Writes the files into a folder of their own and returns the folder. */
async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = join(root, `case-${++counter}`)
  await mkdir(dir)
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
  return dir
}

async function loaded(dir: string): Promise<ReadonlyMap<string, ConnectorProfile>> {
  const result = await loadProfiles(dir)
  if (!result.ok) return expect.fail(result.problems.map(formatProblem).join('\n'))
  return result.profiles
}

async function problemsOf(dir: string): Promise<string[]> {
  const result = await loadProfiles(dir)
  if (result.ok) return expect.fail(`${dir} loaded; expected problems`)
  return result.problems.map(formatProblem)
}

function profileIn(
  profiles: ReadonlyMap<string, ConnectorProfile>,
  name: string,
): ConnectorProfile {
  const profile = profiles.get(name)
  if (!profile) return expect.fail(`no profile ${name}`)
  return profile
}

describe('connectors/profile', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'connector-profiles-'))
  })

  after(async () => {
    await rm(root, { recursive: true, force: true })
  })

  describe('the shipped connectors/ folder', () => {
    let profiles: ReadonlyMap<string, ConnectorProfile>

    before(async () => {
      profiles = await loaded(shipped)
    })

    it('loads every profile with no problems', () => {
      expect([...profiles.keys()]).to.include.members(['torii', 'tresorit'])
      for (const profile of profiles.values()) expect(Object.isFrozen(profile)).to.equal(true)
    })

    it('compiles tresorit as a translate connector with its limits and rules', () => {
      const tresorit = profileIn(profiles, 'tresorit')
      expect(tresorit).to.deep.include({
        product: 'Tresorit',
        mode: 'translate',
        resources: ['User'],
        deletePolicy: 'remove',
        authSecret: 'apiToken',
        limits: { requestsPerMinute: 120, concurrency: 4, timeoutMs: 10_000, maxRetries: 3 },
        breaker: { failureThreshold: 5, cooldownMs: 30_000 },
        errors: { code: ['errorCode'], message: ['message'], preconditions: [] },
      })
      expect(tresorit.rules.rules.map((r) => r.path)).to.deep.equal([
        'userName',
        'name.givenName',
        'name.familyName',
      ])
      expect([...(tresorit.user?.updatable ?? [])]).to.deep.equal(['active'])
      expect(tresorit.user?.reactivate).to.equal('create')
    })

    it("renders tresorit's invite and status change from the compiled templates", () => {
      const user = profileIn(profiles, 'tresorit').user
      if (!user) return expect.fail('tresorit has no user section')
      const context = {
        resource: {
          userName: 'BJensen@Example.com',
          name: { givenName: 'Barbara' },
          active: false,
        },
        id: 'bjensen@example.com',
        settings: {},
        maps: profileIn(profiles, 'tresorit').maps,
      }
      expect(renderBody(user.create.body ?? {}, context)).to.deep.equal({
        email: 'bjensen@example.com',
        firstName: 'Barbara',
      })
      expect(renderBody(user.update.body ?? {}, context)).to.deep.equal({ status: 'suspended' })
      expect(renderPath(user.delete.remove?.path ?? { raw: '', segments: [] }, context)).to.equal(
        '/users/bjensen%40example.com/remove',
      )
    })

    it('compiles torii as a proxy connector with a role rule from its settings', () => {
      const torii = profileIn(profiles, 'torii')
      expect(torii).to.deep.include({
        mode: 'proxy',
        deletePolicy: 'hard',
        scim: {
          path: '/scim/v2',
          attributes: ['userName', 'name.givenName', 'name.familyName', 'active', 'userType'],
          update: 'patch',
          reactivate: 'post',
        },
      })
      expect(torii.user).to.equal(undefined)
      const userType = torii.rules.rules.find((r) => r.path === 'userType')
      expect(userType).to.deep.include({
        allowedValues: { setting: 'roles' },
        default: 'Employee',
        keepWhenAbsent: true,
      })
      expect(torii.settings.roles?.type).to.equal('string-list')
    })
  })

  describe('folders', () => {
    it('loads a valid profile', async () => {
      const profiles = await loaded(await folderWith({ 'acme.yaml': VALID }))
      expect([...profiles.keys()]).to.deep.equal(['acme'])
    })

    it('loads nothing, without problems, from a folder that does not exist', async () => {
      expect(await loaded(join(root, 'no-such-folder'))).to.have.property('size', 0)
    })

    it('reads .yaml and .yml files and ignores the rest', async () => {
      const dir = await folderWith({
        'acme.yml': VALID,
        'README.md': 'not a profile',
        'acme.yaml.bak': 'colour: blue',
      })
      expect([...(await loaded(dir)).keys()]).to.deep.equal(['acme'])
    })

    it('reports the problems of every file, and loads none, when one file is bad', async () => {
      const other = edit('name: acme', 'name: other', edit('mode: translate', 'mode: soap'))
      const dir = await folderWith({ 'acme.yaml': VALID, 'other.yaml': other })
      expect(await problemsOf(dir)).to.deep.equal([
        `${join(dir, 'other.yaml')}:3: mode must be one of translate, proxy`,
      ])
      const both = await folderWith({
        'acme.yaml': edit('mode: translate', 'mode: soap'),
        'other.yaml': other,
      })
      expect(await problemsOf(both)).to.have.length(2)
    })
  })

  describe('broken profiles', () => {
    for (const c of broken) {
      it(`reports ${c.name} as file:line: message`, async () => {
        const file = c.file ?? 'acme.yaml'
        const dir = await folderWith({ [file]: c.text })
        const path = join(dir, file)
        expect(await problemsOf(dir)).to.deep.equal(
          c.problems.map(([marker, message]) => `${path}:${lineOf(c.text, marker)}: ${message}`),
        )
      })
    }
  })
})
