import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { inspect } from 'node:util'
import { expect } from 'chai'
import { parse } from 'yaml'
import { DIRECTORY_CONNECTOR } from '../../../src/config/load-configuration.ts'
import { Secret } from '../../../src/config/secret.ts'
import {
  loadTenants,
  type ConnectionConfig,
  type TenantConfig,
  type TenantsResult,
} from '../../../src/config/tenant-config.ts'
import { formatProblem } from '../../../src/config/yaml-file.ts'

interface FolderCase {
  name: string
  files: Record<string, string>
  env?: Record<string, string>
}

interface ValidCase extends FolderCase {
  expect: Record<string, unknown>
}

interface InvalidCase extends FolderCase {
  problems: string[]
  /** Values that must never appear in a problem (literal secrets in the files). */
  secretValues?: string[]
}

interface TenantConfigCases {
  valid: ValidCase[]
  invalid: InvalidCase[]
}

const cases = parse(
  readFileSync(new URL('../../fixtures/tenant-config-cases.yaml', import.meta.url), 'utf8'),
) as TenantConfigCases

// The directory connector, widened to take a role list so every connection field is exercised.
const CONNECTORS = new Map([
  ['directory', { ...DIRECTORY_CONNECTOR, settings: { roles: { type: 'string-list' as const } } }],
])

const folders: string[] = []

async function writeFolder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tenant-config-'))
  folders.push(dir)
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  return dir
}

async function load(c: FolderCase): Promise<{ dir: string; result: TenantsResult }> {
  const dir = await writeFolder(c.files)
  return { dir, result: await loadTenants(dir, { env: c.env ?? {}, connectors: CONNECTORS }) }
}

function loaded(result: TenantsResult): ReadonlyMap<string, TenantConfig> {
  if (!result.ok)
    expect.fail(`expected the folder to load:\n${result.problems.map(formatProblem).join('\n')}`)
  return result.tenants
}

function problemLines(result: TenantsResult): string[] {
  if (result.ok) expect.fail('expected problems, the folder loaded')
  return result.problems.map(formatProblem)
}

/** The loaded connection as plain data, secrets revealed, to compare with a YAML expectation. */
function revealConnection(c: ConnectionConfig): Record<string, unknown> {
  return {
    ...c,
    secrets: Object.fromEntries(Object.entries(c.secrets).map(([k, s]) => [k, s.reveal()])),
  }
}

function plainTenant(t: TenantConfig): Record<string, unknown> {
  return {
    displayName: t.displayName,
    dialect: t.dialect,
    ...(t.jwt ? { jwt: t.jwt } : {}),
    connections: Object.fromEntries(
      Object.entries(t.connections).map(([name, c]) => [name, revealConnection(c)]),
    ),
  }
}

function expectDeeplyFrozen(value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null || value instanceof Secret) return
  expect(Object.isFrozen(value), `${path} is frozen`).to.equal(true)
  for (const [key, inner] of Object.entries(value)) expectDeeplyFrozen(inner, `${path}.${key}`)
}

after(async () => {
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })))
})

describe('tenant files', () => {
  describe('valid folders load', () => {
    for (const c of cases.valid) {
      it(c.name, async () => {
        const { dir, result } = await load(c)
        const tenants = loaded(result)
        expect([...tenants.keys()].sort()).to.deep.equal(Object.keys(c.expect).sort())
        for (const [id, expected] of Object.entries(c.expect)) {
          const tenant = tenants.get(id)
          if (!tenant) return expect.fail(`tenant ${id} not loaded`)
          expect(tenant.tenant).to.equal(id)
          expect(tenant.file.startsWith(`${dir}/${id}.y`), tenant.file).to.equal(true)
          expect(plainTenant(tenant)).to.deep.equal(expected)
        }
      })
    }

    it('takes a JWT public key from a ${file:…} PEM, defaulting to RS256', async () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
      const { result } = await load({
        name: 'pem',
        files: {
          'keys/idp.pem': pem,
          'acme.yaml':
            'tenant: acme\njwt:\n  issuer: https://idp.example.com\n  audience: [a, b]\n' +
            '  publicKeyPem: ${file:keys/idp.pem}\nconnections:\n  directory: { connector: directory }\n',
        },
      })
      const jwt = loaded(result).get('acme')?.jwt
      expect(jwt?.keySource).to.deep.equal({ kind: 'pem', pem: pem.trim() })
      expect(jwt?.audience).to.deep.equal(['a', 'b'])
      expect(jwt?.algorithms).to.deep.equal(['RS256'])
    })

    it('loads an empty folder as no tenants', async () => {
      const { result } = await load({ name: 'empty', files: {} })
      expect(loaded(result).size).to.equal(0)
    })

    it('reports a tenants folder that does not exist at line 1 of the folder', async () => {
      const dir = join(await writeFolder({}), 'nowhere')
      const result = await loadTenants(dir, { env: {}, connectors: CONNECTORS })
      const lines = problemLines(result)
      expect(lines).to.have.length(1)
      expect(lines[0]?.startsWith(`${dir}:1: cannot read the tenants folder: `), lines[0]).to.equal(
        true,
      )
    })

    it('gives a deeply frozen generation: tenant, connections, settings and jwt', async () => {
      const { result } = await load({
        name: 'frozen',
        env: { KEY: 'frozen-secret' },
        files: {
          'acme.yaml':
            'tenant: acme\njwt:\n  issuer: i\n  audience: a\n  jwks: { keys: [{ kty: RSA }] }\n' +
            'connections:\n  directory:\n    connector: directory\n    secrets: { apiKey: "${env:KEY}" }\n' +
            '    settings: { roles: [Admin] }\n',
        },
      })
      const tenant = loaded(result).get('acme')
      expectDeeplyFrozen(tenant, 'acme')
      expect(tenant?.connections.directory?.secrets.apiKey?.reveal()).to.equal('frozen-secret')
    })
  })

  describe('invalid folders are refused with every problem as file:line: message', () => {
    for (const c of cases.invalid) {
      it(c.name, async () => {
        const { dir, result } = await load(c)
        const lines = problemLines(result)
        expect(lines).to.deep.equal(c.problems.map((p) => p.replaceAll('{dir}', dir)))
        const secrets = [...(c.secretValues ?? []), ...Object.values(c.env ?? {}).filter(Boolean)]
        for (const line of lines) {
          for (const secret of secrets) expect(line).to.not.include(secret)
        }
      })
    }
  })

  describe('secrets never print', () => {
    const env = { ACME_API_KEY: 'env-value-4b1d9e', UNRELATED: 'x' }
    let tenant: TenantConfig | undefined

    before(async () => {
      const { result } = await load({
        name: 'secrets',
        env,
        files: {
          'keys/token': 'file-value-c0ffee\n',
          'acme.yaml':
            'tenant: acme\nconnections:\n  directory:\n    connector: directory\n    secrets:\n' +
            '      apiKey: ${env:ACME_API_KEY}\n      token: ${file:keys/token}\n',
        },
      })
      tenant = loaded(result).get('acme')
    })

    const values = ['env-value-4b1d9e', 'file-value-c0ffee']

    it('gives the values through reveal() only', () => {
      const secrets = tenant?.connections.directory?.secrets
      expect(secrets?.apiKey?.reveal()).to.equal('env-value-4b1d9e')
      expect(secrets?.token?.reveal()).to.equal('file-value-c0ffee')
    })

    it('prints [secret] through JSON.stringify of the whole configuration', () => {
      const json = JSON.stringify(tenant)
      for (const value of values) expect(json).to.not.include(value)
      expect(JSON.parse(json)).to.have.nested.property(
        'connections.directory.secrets.apiKey',
        '[secret]',
      )
    })

    it('prints [secret] through util.inspect, at any depth, and string conversion', () => {
      const shown = inspect(tenant, { depth: Infinity, showHidden: true })
      for (const value of values) expect(shown).to.not.include(value)
      expect(shown).to.include('[secret]')
      const secret = tenant?.connections.directory?.secrets.apiKey
      expect(String(secret)).to.equal('[secret]')
      expect(inspect({ nested: { deeper: secret } })).to.not.include('env-value-4b1d9e')
      expect(Object.keys(secret ?? {})).to.deep.equal([])
    })

    it('never puts a resolved value in a problem of a file that is refused', async () => {
      const { result } = await load({
        name: 'refused with secrets',
        env,
        files: {
          'keys/token': 'file-value-c0ffee\n',
          'acme.yaml':
            'tenant: acme\nconnections:\n  directory:\n    connector: nope\n    secrets:\n' +
            '      apiKey: ${env:ACME_API_KEY}\n      token: ${file:keys/token}\n' +
            '      bad: ${env:ACME_NOT_SET}\n',
        },
      })
      const text = `${problemLines(result).join('\n')}\n${JSON.stringify(result)}\n${inspect(result, { depth: Infinity })}`
      for (const value of values) expect(text).to.not.include(value)
      expect(text).to.include('ACME_NOT_SET')
    })
  })
})
