import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { expect } from 'chai'
import {
  loadGatewaySettings,
  type GatewayEnvironment,
  type GatewaySettings,
} from '../../../src/config/gateway-config.ts'
import { GatewayError } from '../../../src/config/gateway-error.ts'

let root = ''

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'gateway-config-'))
})

after(async () => {
  await rm(root, { recursive: true, force: true })
})

let counter = 0

/** Writes `text` as gateway.yaml in a folder of its own (`sub` nests it deeper). */
async function writeGatewayYaml(text: string, sub = ''): Promise<{ dir: string; file: string }> {
  const dir = join(root, `case-${++counter}`, sub)
  await mkdir(dir, { recursive: true })
  const file = join(dir, 'gateway.yaml')
  await writeFile(file, text)
  return { dir, file }
}

async function settingsOf(text: string, env: GatewayEnvironment = {}): Promise<GatewaySettings> {
  const { file } = await writeGatewayYaml(text)
  return loadGatewaySettings(file, env)
}

/** The GatewayError a load fails with; fails the test when it loads. */
async function refusal(file: string, env: GatewayEnvironment = {}): Promise<GatewayError> {
  try {
    await loadGatewaySettings(file, env)
  } catch (err) {
    expect(err).to.be.instanceOf(GatewayError)
    return err as GatewayError
  }
  return expect.fail(`${file} loaded; expected a refusal`)
}

describe('gateway.yaml', () => {
  describe('defaults', () => {
    for (const [name, text] of [
      ['an empty file', ''],
      ['a file of comments only', '# nothing set here\n'],
      ['an empty mapping', '{}\n'],
    ]) {
      it(`gives every default for ${name}`, async () => {
        const { dir, file } = await writeGatewayYaml(text ?? '')
        const settings = await loadGatewaySettings(file, {})
        expect(settings).to.deep.equal({
          file,
          host: '0.0.0.0',
          port: 8080,
          bodyLimitBytes: 1024 * 1024,
          database: { client: 'sqlite', filename: join(dir, 'data', 'gateway.sqlite') },
          tenantsDir: join(dir, 'config'),
          connectorsDir: join(dir, 'connectors'),
          scim: { defaultCount: 100, maxResults: 1000 },
          trustProxy: false,
          tokenCacheMs: 2000,
          upstream: { maxRetryWaitMs: 5000 },
          retention: { eventsDays: 30 },
          outbox: {
            pollMs: 500,
            leaseMs: 60000,
            concurrency: 4,
            maxAttempts: 10,
            periodicMs: 60000,
          },
        })
      })
    }

    it('takes every setting the file gives', async () => {
      const { dir, file } = await writeGatewayYaml(
        [
          'listen: { host: 127.0.0.1, port: 9443 }',
          'bodyLimit: 512kb',
          'database: { client: sqlite, filename: scim.db }',
          'tenants: tenants',
          'connectors: profiles',
          'scim: { defaultCount: 50, maxResults: 200 }',
          'tls: { cert: tls/cert.pem, key: tls/key.pem }',
          'trustProxy: loopback',
          'auth: { tokenCacheSeconds: 0.5 }',
          'upstream: { maxRetryWaitSeconds: 2 }',
          '',
        ].join('\n'),
      )
      expect(await loadGatewaySettings(file, {})).to.deep.equal({
        file,
        host: '127.0.0.1',
        port: 9443,
        bodyLimitBytes: 512 * 1024,
        database: { client: 'sqlite', filename: join(dir, 'data', 'scim.db') },
        tenantsDir: join(dir, 'tenants'),
        connectorsDir: join(dir, 'profiles'),
        scim: { defaultCount: 50, maxResults: 200 },
        tls: { certFile: join(dir, 'tls', 'cert.pem'), keyFile: join(dir, 'tls', 'key.pem') },
        trustProxy: 'loopback',
        tokenCacheMs: 500,
        upstream: { maxRetryWaitMs: 2000 },
        retention: { eventsDays: 30 },
        outbox: { pollMs: 500, leaseMs: 60000, concurrency: 4, maxAttempts: 10, periodicMs: 60000 },
      })
    })

    it('takes a PostgreSQL URL from the file', async () => {
      const settings = await settingsOf('database: { client: pg, url: postgres://db/scim }\n')
      expect(settings.database).to.deep.equal({
        client: 'pg',
        connectionString: 'postgres://db/scim',
      })
    })
  })

  describe('environment overrides', () => {
    it('PORT overrides listen.port, 0 included (a free port)', async () => {
      expect((await settingsOf('listen: { port: 9000 }\n', { PORT: '8181' })).port).to.equal(8181)
      expect((await settingsOf('listen: { port: 9000 }\n', { PORT: '0' })).port).to.equal(0)
    })

    it('an empty PORT counts as unset, not as port 0', async () => {
      expect((await settingsOf('listen: { port: 9000 }\n', { PORT: '' })).port).to.equal(9000)
    })

    it('GATEWAY_DATA_DIR holds the SQLite file, by its file name from gateway.yaml', async () => {
      const data = join(root, 'elsewhere')
      const settings = await settingsOf('database: { filename: scim.db }\n', {
        GATEWAY_DATA_DIR: data,
      })
      expect(settings.database).to.deep.equal({
        client: 'sqlite',
        filename: join(data, 'scim.db'),
      })
    })

    it('DATABASE_URL switches to PostgreSQL and wins over the file’s url', async () => {
      const url = 'postgres://override@127.0.0.1:5432/gw'
      expect((await settingsOf('', { DATABASE_URL: url })).database).to.deep.equal({
        client: 'pg',
        connectionString: url,
      })
      const settings = await settingsOf('database: { client: pg, url: postgres://file/db }\n', {
        DATABASE_URL: url,
      })
      expect(settings.database).to.deep.equal({ client: 'pg', connectionString: url })
    })

    it('an empty DATABASE_URL counts as unset', async () => {
      expect((await settingsOf('', { DATABASE_URL: '' })).database.client).to.equal('sqlite')
      const settings = await settingsOf('database: { client: pg, url: postgres://file/db }\n', {
        DATABASE_URL: '',
      })
      expect(settings.database).to.deep.equal({
        client: 'pg',
        connectionString: 'postgres://file/db',
      })
    })
  })

  describe('relative paths', () => {
    it('resolve against the folder of gateway.yaml, not the working directory', async () => {
      const { dir, file } = await writeGatewayYaml(
        'tenants: ../shared/tenants\nconnectors: ./profiles\n' +
          'database: { filename: db/scim.sqlite }\ntls: { cert: c.pem, key: /etc/k.pem }\n',
        'deep/er',
      )
      // Named relative to the working directory, as GATEWAY_CONFIG may be.
      const settings = await loadGatewaySettings(relative(process.cwd(), file), {})
      expect(process.cwd()).to.not.equal(dir)
      expect(settings.file).to.equal(file)
      expect(settings.tenantsDir).to.equal(join(dir, '..', 'shared', 'tenants'))
      expect(settings.connectorsDir).to.equal(join(dir, 'profiles'))
      expect(settings.database).to.deep.equal({
        client: 'sqlite',
        filename: join(dir, 'data', 'db', 'scim.sqlite'),
      })
      expect(settings.tls).to.deep.equal({ certFile: join(dir, 'c.pem'), keyFile: '/etc/k.pem' })
    })
  })

  describe('refusals', () => {
    it('an unknown field: ERR_CONFIG_INVALID with file:line of the key', async () => {
      const { file } = await writeGatewayYaml('listen:\n  host: 127.0.0.1\n  hots: x\n')
      const err = await refusal(file)
      expect(err.code).to.equal('ERR_CONFIG_INVALID')
      expect(err.message).to.equal(`${file}:3: unknown field listen.hots`)
    })

    it('reports every problem of the file at once, each at its line', async () => {
      const { file } = await writeGatewayYaml(
        [
          '# process settings',
          'listen:',
          '  port: 70000',
          'bodyLimit: 1gb',
          'database:',
          '  client: mysql',
          'colour: red',
          '',
        ].join('\n'),
      )
      const err = await refusal(file)
      expect(err.code).to.equal('ERR_CONFIG_INVALID')
      expect(err.message.split('\n').sort()).to.deep.equal(
        [
          `${file}:3: listen.port must be <= 65535`,
          `${file}:4: bodyLimit must match pattern "^[0-9]+(b|kb|mb)$"`,
          `${file}:6: database.client must be one of sqlite, pg`,
          `${file}:7: unknown field colour`,
        ].sort(),
      )
    })

    it('invalid YAML: ERR_CONFIG_INVALID with file:line', async () => {
      const { file } = await writeGatewayYaml('listen:\n  host: 127.0.0.1\n  port: 80: 80\n')
      const err = await refusal(file)
      expect(err.code).to.equal('ERR_CONFIG_INVALID')
      expect(err.message.startsWith(`${file}:3: `), err.message).to.equal(true)
    })

    it('a file that cannot be read: ERR_CONFIG_INVALID naming it', async () => {
      const file = join(root, 'missing', 'gateway.yaml')
      const err = await refusal(file)
      expect(err.code).to.equal('ERR_CONFIG_INVALID')
      expect(err.message.startsWith(`${file}:1: cannot read`), err.message).to.equal(true)
    })

    it('a token cache longer than the documented revocation bound (5 s)', async () => {
      const { file } = await writeGatewayYaml('auth:\n  tokenCacheSeconds: 60\n')
      const err = await refusal(file)
      expect(err.message).to.equal(`${file}:2: auth.tokenCacheSeconds must be <= 5`)
    })

    it('database client pg without any URL', async () => {
      const { file } = await writeGatewayYaml('database: { client: pg }\n')
      const err = await refusal(file)
      expect(err.code).to.equal('ERR_CONFIG_INVALID')
      expect(err.message).to.include(file).and.include('database.url or DATABASE_URL')
    })

    for (const port of ['abc', '70000', '-1', '8080abc', '1e3', ' 80', '0x50', '80.5']) {
      it(`a bad PORT ${JSON.stringify(port)}: ERR_CONFIG_INVALID naming PORT`, async () => {
        const { file } = await writeGatewayYaml('listen: { port: 9000 }\n')
        const err = await refusal(file, { PORT: port })
        expect(err.code).to.equal('ERR_CONFIG_INVALID')
        expect(err.message).to.equal(`PORT must be a port number, not ${port}`)
      })
    }
  })
})
