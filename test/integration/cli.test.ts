import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import knexFactory from 'knex'
import { objectOf, scimClient } from '../helpers/scim-client.ts'
import { createUser } from '../helpers/scim-fixtures.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'scim-gateway.js')
const TOKEN = /^scgw_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]{43})$/

/** The lookup prefix and the secret of a `scgw_<prefix>_<secret>` token. */
function partsOf(token: string): { prefix: string; secret: string } {
  const match = TOKEN.exec(token)
  expect(match, token).to.not.equal(null)
  return { prefix: match?.[1] ?? '', secret: match?.[2] ?? '' }
}

/**
 * The `scim-gateway` command as an operator runs it: its own gateway.yaml, tenant folder and
 * SQLite file in a temporary folder (SQLite on purpose: DATABASE_URL is left unset).
 */
describe('scim-gateway CLI', function () {
  this.timeout(60_000)
  let dir = ''
  let env: Record<string, string> = {}
  const children: ChildProcess[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scim-gateway-cli-'))
    await mkdir(join(dir, 'tenants'))
    await writeFile(
      join(dir, 'tenants', 'demo.yaml'),
      'tenant: demo\ndialect: auto\nconnections:\n  directory:\n    connector: directory\n',
    )
    await writeFile(
      join(dir, 'gateway.yaml'),
      'listen: { host: 127.0.0.1, port: 8080 }\ntenants: tenants\ndatabase: { client: sqlite, filename: cli.sqlite }\n',
    )
    // Only what the CLI needs: no DATABASE_URL, so the SQLite file is used.
    env = {
      PATH: process.env.PATH ?? '',
      GATEWAY_CONFIG: join(dir, 'gateway.yaml'),
      GATEWAY_DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'warn',
    }
  })

  after(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await once(child, 'exit')
      }
    }
    await rm(dir, { recursive: true, force: true })
  })

  function start(args: string[], extraEnv: Record<string, string> = {}) {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    const output = { stdout: '', stderr: '' }
    child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()))
    child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()))
    return { child, output }
  }

  /** Runs a command to completion (killed after 30 s). */
  async function run(args: string[]) {
    const { child, output } = start(args)
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    const [code] = (await once(child, 'exit')) as [number | null]
    clearTimeout(timer)
    return { code, ...output }
  }

  /** The bytes of the SQLite database and its WAL, as latin1 text to search. */
  async function databaseText(): Promise<string> {
    const data = join(dir, 'data')
    const files = (await readdir(data)).filter((f) => f.startsWith('cli.sqlite'))
    expect(files).to.include('cli.sqlite')
    const parts = await Promise.all(files.map((f) => readFile(join(data, f))))
    return parts.map((p) => p.toString('latin1')).join('\n')
  }

  async function createToken(): Promise<string> {
    const result = await run(['token', 'create', '--tenant', 'demo', '--connection', 'directory'])
    expect(result.code, result.stderr).to.equal(0)
    const last = result.stdout.trim().split('\n').at(-1) ?? ''
    expect(last).to.match(TOKEN)
    return last
  }

  let token = ''

  it('token create prints a scgw_ token on its last line, stored only as its SHA-256 hash', async () => {
    token = await createToken()
    const { prefix, secret } = partsOf(token)
    const db = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: join(dir, 'data', 'cli.sqlite') },
      useNullAsDefault: true,
    })
    try {
      const rows: { hash: string; prefix: string; tenant: string; connection: string }[] = await db(
        'tokens',
      ).select('hash', 'prefix', 'tenant', 'connection')
      expect(rows).to.have.length(1)
      expect(rows[0]).to.deep.equal({
        hash: createHash('sha256').update(token).digest('hex'),
        prefix,
        tenant: 'demo',
        connection: 'directory',
      })
    } finally {
      await db.destroy()
    }
    const text = await databaseText()
    expect(text).to.not.include(token)
    expect(text).to.not.include(secret)
  })

  it('token create for an unknown tenant or connection exits non-zero with ERR_TOKEN_SCOPE', async () => {
    const scopes: [string, string][] = [
      ['nobody', 'directory'],
      ['demo', 'nothing'],
    ]
    for (const [tenant, connection] of scopes) {
      const result = await run(['token', 'create', '--tenant', tenant, '--connection', connection])
      expect(result.code).to.not.equal(0)
      expect(result.stderr).to.include('ERR_TOKEN_SCOPE')
      expect(result.stdout).to.not.match(/scgw_/)
    }
  })

  it('token list shows each token by id and prefix, never its secret', async () => {
    const second = await createToken()
    const result = await run(['token', 'list', '--tenant', 'demo'])
    expect(result.code, result.stderr).to.equal(0)
    for (const t of [token, second]) {
      const { prefix, secret } = partsOf(t)
      expect(result.stdout).to.include(`scgw_${prefix}`)
      expect(result.stdout).to.not.include(secret)
      expect(result.stdout).to.not.include(createHash('sha256').update(t).digest('hex'))
    }
    expect(result.stdout.trim().split('\n')).to.have.length(2)
  })

  it('serve prints its URL and answers SCIM requests with a token from token create', async () => {
    const { child, output } = start(['serve'], { PORT: '0' })
    let url: string | undefined
    for (let i = 0; i < 300 && !url && child.exitCode === null; i++) {
      url = /SCIM gateway listening: (http:\/\/127\.0\.0\.1:\d+\/scim\/v2)/.exec(output.stdout)?.[1]
      if (!url) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(url, `stdout: ${output.stdout}\nstderr: ${output.stderr}`).to.be.a('string')
    expect(url).to.not.include(':8080/')
    const scim = scimClient({ baseUrl: url ?? '', token })
    const user = await createUser(scim, 'cli.user@example.com')
    const read = await scim.get(`/Users/${String(user.id)}`)
    expect(objectOf(read).userName).to.equal('cli.user@example.com')
    const tampered = token.slice(0, -1) + (token.endsWith('x') ? 'y' : 'x')
    const refused = await scimClient({ baseUrl: url ?? '', token: tampered }).get('/Users')
    expect(refused.status).to.equal(401)
    child.kill('SIGTERM')
    const [code] = (await once(child, 'exit')) as [number | null]
    expect(code).to.equal(0)
  })
})
