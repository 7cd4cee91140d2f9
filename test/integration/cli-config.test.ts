import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { scimClient } from '../helpers/scim-client.ts'
import { directoryTenant } from '../helpers/start-gateway.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const BIN = join(REPO, 'bin', 'scim-gateway.js')
const ADMIN = 'cli-test-admin-credential'
const LISTENING = /SCIM gateway listening: (http:\/\/127\.0\.0\.1:[0-9]+)\/scim\/v2/

interface Finished {
  code: number | null
  stdout: string
  stderr: string
}

/** The environment of a child: the folder's gateway.yaml, SQLite in the folder, no PostgreSQL. */
function childEnv(root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GATEWAY_CONFIG: join(root, 'gateway.yaml'),
    GATEWAY_DATA_DIR: join(root, 'data'),
    GATEWAY_ADMIN_TOKEN: ADMIN,
    PORT: '0',
    LOG_LEVEL: 'warn',
  }
  delete env.DATABASE_URL
  return env
}

const children = new Set<ChildProcess>()

function start(args: string[], root: string) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: childEnv(root),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  const output = { stdout: '', stderr: '' }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk))
  const exited = new Promise<Finished>((resolve) => {
    child.once('close', (code) => {
      children.delete(child)
      resolve({ code, ...output })
    })
  })
  return { child, output, exited }
}

/** Runs one command to its end (bounded: a hung child is killed and the test fails). */
async function run(args: string[], root: string, timeoutMs = 15_000): Promise<Finished> {
  const { child, exited } = start(args, root)
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const finished = await exited
  clearTimeout(timer)
  return finished
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const closed = new Promise((resolve) => child.once('close', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await closed
  clearTimeout(timer)
}

after(async () => {
  await Promise.all([...children].map(stop))
})

const roots: string[] = []

async function folder(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'scim-gateway-cli-'))
  roots.push(root)
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true })
    await writeFile(join(root, name), text)
  }
  return root
}

after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })))
})

const GATEWAY_YAML = 'listen: { host: 127.0.0.1, port: 8080 }\ntenants: tenants\n'

const lines = (text: string) => text.split('\n').filter((line) => line !== '')

// Every command is a fresh Node process that compiles the TypeScript sources: seconds each.
describe('scim-gateway config check', function () {
  this.timeout(60_000)

  it('exits 0 with one ok line per tenant file for a good set', async () => {
    const root = await folder({
      'gateway.yaml': GATEWAY_YAML,
      'tenants/demo.yaml': directoryTenant('demo'),
      'tenants/globex.yml':
        'tenant: globex\nconnections:\n  directory: { connector: directory }\n' +
        '  archive: { connector: directory }\n',
      'tenants/notes.txt': 'not a tenant file',
    })
    const result = await run(['config', 'check'], root)
    expect(result.code, result.stderr).to.equal(0)
    expect(lines(result.stdout)).to.deep.equal([
      `${root}/tenants/demo.yaml: ok, tenant demo: directory (directory)`,
      `${root}/tenants/globex.yml: ok, tenant globex: directory (directory), archive (directory)`,
    ])
  })

  it('exits 1 with file:line: message for every problem of every file, together', async () => {
    const root = await folder({
      'gateway.yaml': GATEWAY_YAML,
      'tenants/alpha.yaml':
        'tenant: alpha\nconnections:\n  directory:\n    connector: directory\n    colour: red\n' +
        '    secrets:\n      apiKey: sk-literal-value-91ab\n',
      'tenants/beta.yaml':
        'tenant: beta\ndialect: azure\nconnections:\n  directory: { connector: directory }\n',
      'tenants/good.yaml': directoryTenant('good'),
      'tenants/gamma.yml':
        '# copied\ntenant: delta\nconnections:\n  directory: { connector: directory }\n',
    })
    const result = await run(['config', 'check'], root)
    expect(result.code).to.equal(1)
    const dir = `${root}/tenants`
    expect(lines(result.stdout)).to.deep.equal([
      `${dir}/alpha.yaml:5: unknown field connections.directory.colour`,
      `${dir}/alpha.yaml:7: connections.directory.secrets.apiKey must be a \${env:NAME} or \${file:path} reference, not a literal value`,
      `${dir}/beta.yaml:2: dialect must be one of auto, entra, okta, generic`,
      `${dir}/gamma.yml:2: tenant: delta must match the file name (gamma)`,
    ])
    expect(result.stdout + result.stderr).to.not.include('sk-literal-value-91ab')
  })

  it('exits 1 with file:line for a problem in gateway.yaml itself', async () => {
    const root = await folder({
      'gateway.yaml': 'listen:\n  host: 127.0.0.1\n  adress: 0.0.0.0\n',
      'tenants/demo.yaml': directoryTenant('demo'),
    })
    const result = await run(['config', 'check'], root)
    expect(result.code).to.equal(1)
    expect(result.stderr).to.include(
      `ERR_CONFIG_INVALID: ${root}/gateway.yaml:3: unknown field listen.adress`,
    )
  })
})

describe('scim-gateway serve', function () {
  this.timeout(60_000)

  describe('reloading on SIGHUP', () => {
    let root = ''
    let server: ReturnType<typeof start>
    let origin = ''

    before(async () => {
      // The tenants folder is a symlink to a generation folder, as a deployment that swaps
      // whole folders (a Kubernetes ConfigMap) has it. The watcher watches the folder it
      // resolved at start, so a swap is invisible to it: only SIGHUP can pick it up.
      root = await folder({
        'gateway.yaml': GATEWAY_YAML,
        'gen1/demo.yaml': directoryTenant('demo'),
      })
      await symlink(join(root, 'gen1'), join(root, 'tenants'))
      server = start(['serve'], root)
      origin = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no listening line in 15 s:\n${server.output.stdout}\n${server.output.stderr}`,
              ),
            ),
          15_000,
        )
        server.child.stdout?.on('data', () => {
          const match = LISTENING.exec(server.output.stdout)
          if (match?.[1]) {
            clearTimeout(timer)
            resolve(match[1])
          }
        })
        void server.exited.then((f) => {
          clearTimeout(timer)
          reject(new Error(`serve exited ${f.code}:\n${f.stderr}`))
        })
      })
    })

    after(() => stop(server.child))

    async function createToken(tenant: string): Promise<Finished> {
      return run(['token', 'create', '--tenant', tenant, '--connection', 'directory'], root)
    }

    const tokenOf = (created: Finished) => lines(created.stdout).at(-1) ?? ''

    const usersStatus = async (token: string) =>
      (await scimClient({ baseUrl: `${origin}/scim/v2`, token }).get('/Users')).status

    it('serves a token made by token create', async () => {
      const created = await createToken('demo')
      expect(created.code, created.stderr).to.equal(0)
      expect(tokenOf(created)).to.match(/^scgw_/)
      expect(await usersStatus(tokenOf(created))).to.equal(200)
    })

    it('picks up a tenant added to the files on SIGHUP, without a restart', async () => {
      const refused = await createToken('new')
      expect(refused.code).to.equal(1)
      expect(refused.stderr).to.include('ERR_TOKEN_SCOPE')

      await mkdir(join(root, 'gen2'))
      await writeFile(join(root, 'gen2', 'demo.yaml'), directoryTenant('demo'))
      await writeFile(join(root, 'gen2', 'new.yaml'), directoryTenant('new'))
      await symlink(join(root, 'gen2'), join(root, 'tenants.next'))
      await rename(join(root, 'tenants.next'), join(root, 'tenants'))

      const created = await createToken('new')
      expect(created.code, created.stderr).to.equal(0)
      const token = tokenOf(created)
      // The running server has not reloaded: the files changed where its watcher does not look.
      expect(await usersStatus(token)).to.equal(401)

      const pid = server.child.pid
      if (pid === undefined) return expect.fail('serve has no pid')
      process.kill(pid, 'SIGHUP')
      const deadline = Date.now() + 5_000
      while ((await usersStatus(token)) !== 200) {
        if (Date.now() > deadline) expect.fail(`tenant new not served 5 s after SIGHUP`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const config = await fetch(`${origin}/admin/api/config`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      })
      const body = (await config.json()) as { lastReload: { ok: boolean; reason: string } | null }
      expect(body.lastReload).to.include({ ok: true, reason: 'SIGHUP' })
      expect(server.child.exitCode).to.equal(null)
    })
  })

  it('refuses to start with an invalid tenant file: non-zero exit, file:line on stderr', async () => {
    const root = await folder({
      'gateway.yaml': GATEWAY_YAML,
      'tenants/demo.yaml': directoryTenant('demo'),
      'tenants/acme.yaml': 'tenant: acme\nconnections:\n  directory:\n    connector: salesforce\n',
    })
    const result = await run(['serve'], root)
    expect(result.code).to.not.equal(0)
    expect(result.code).to.not.equal(null)
    // The list of known connectors after the message grows with the product connectors.
    expect(result.stderr).to.include(
      `ERR_CONFIG_INVALID: ${root}/tenants/acme.yaml:4: connections.directory.connector: unknown connector salesforce (known: `,
    )
    expect(result.stdout).to.not.match(LISTENING)
  })
})
