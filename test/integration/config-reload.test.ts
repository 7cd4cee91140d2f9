import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { objectOf, scimClient, type ScimResponse } from '../helpers/scim-client.ts'
import {
  ADMIN_TOKEN,
  directoryTenant,
  startGateway,
  type StartedGateway,
} from '../helpers/start-gateway.ts'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'

interface AdminConfig {
  generation: number
  tenants: { tenant: string; connections: { name: string; connector: string }[] }[]
  lastReload: { ok: boolean; reason: string; problems: string[] } | null
}

/** Calls the admin API with the test credential (or the given Authorization header). */
async function admin(
  started: StartedGateway,
  method: 'GET' | 'POST',
  path: string,
  authorization: string | null = `Bearer ${ADMIN_TOKEN}`,
): Promise<ScimResponse> {
  const response = await fetch(`${started.origin}/admin/api${path}`, {
    method,
    headers: authorization === null ? {} : { authorization },
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as unknown) : undefined,
  }
}

async function adminConfig(started: StartedGateway): Promise<AdminConfig> {
  const response = await admin(started, 'GET', '/config')
  expect(response.status).to.equal(200)
  return response.body as AdminConfig
}

/** Polls until `check` holds (bounded: the watcher debounces, then reloads). */
async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last = await probe()
  while (!check(last)) {
    if (Date.now() > deadline)
      expect.fail(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`)
    await new Promise((resolve) => setTimeout(resolve, 50))
    last = await probe()
  }
  return last
}

const statusOf =
  (started: StartedGateway, token: string, path = '/Users') =>
  async () =>
    (await scimClient({ baseUrl: started.scimUrl, token }).get(path)).status

const tenantFile = (started: StartedGateway, tenant: string) =>
  join(started.dir, 'config', `${tenant}.yaml`)

const twoConnections = (tenant: string) =>
  `tenant: ${tenant}\nconnections:\n  directory:\n    connector: directory\n  legacy:\n    connector: directory\n`

describe('configuration reload in a running gateway', () => {
  describe('on a change in the tenants folder', () => {
    let started: StartedGateway

    before(async () => {
      started = await startGateway({
        tenants: { demo: directoryTenant('demo'), acme: twoConnections('acme') },
      })
      // What `serve` does: watch the tenants folder.
      started.gateway.config.watch()
    })
    after(() => started.close())

    it('serves a tenant added as a file, without a restart', async () => {
      const token = await started.token('globex', 'directory')
      expect(await statusOf(started, token)()).to.equal(401)
      await writeFile(tenantFile(started, 'globex'), directoryTenant('globex', 'okta'))
      await eventually('globex serves', statusOf(started, token), (s) => s === 200)
      const created = await scimClient({ baseUrl: started.scimUrl, token }).post('/Users', {
        schemas: [USER],
        userName: 'new.hire@globex.example',
      })
      expect(created.status).to.equal(201)
      const config = await adminConfig(started)
      expect(config.tenants.map((t) => t.tenant)).to.include('globex')
      expect(config.lastReload).to.include({ ok: true, reason: 'file change' })
    })

    it('refuses a broken file, keeps serving the old configuration visibly, and recovers once fixed', async () => {
      const token = await started.token('acme', 'directory')
      const acme = scimClient({ baseUrl: started.scimUrl, token })
      const before = await eventually(
        'no reload pending',
        () => adminConfig(started),
        (c) => c.lastReload?.ok !== false,
      )
      const file = tenantFile(started, 'acme')
      await writeFile(
        file,
        'tenant: acme\nconnections:\n  directory:\n    connector: directory\n    colour: red\n',
      )
      const problem = `${file}:5: unknown field connections.directory.colour`
      const refused = await eventually(
        'the refusal shows',
        () => adminConfig(started),
        (c) => c.lastReload?.ok === false && c.lastReload.problems.includes(problem),
      )
      expect(refused.lastReload?.problems).to.deep.equal([problem])
      expect(refused.generation).to.equal(before.generation)
      expect(refused.tenants.find((t) => t.tenant === 'acme')?.connections).to.have.length(2)

      // The last good generation still serves acme, reads and writes.
      expect((await acme.get('/Users')).status).to.equal(200)
      const created = await acme.post('/Users', { schemas: [USER], userName: 'still@acme.example' })
      expect(created.status).to.equal(201)
      expect((await acme.get(`/Users/${String(objectOf(created).id)}`)).status).to.equal(200)

      // The fix adds a connection, so its taking effect is visible.
      await writeFile(file, `${twoConnections('acme')}  archive:\n    connector: directory\n`)
      const fixed = await eventually(
        'the fix is taken',
        () => adminConfig(started),
        (c) => c.lastReload?.ok === true && c.generation > before.generation,
      )
      expect(fixed.lastReload?.problems).to.deep.equal([])
      expect(fixed.tenants.find((t) => t.tenant === 'acme')?.connections).to.have.length(3)
      const archive = await started.token('acme', 'archive')
      await eventually('archive serves', statusOf(started, archive), (s) => s === 200)
      expect((await acme.get('/Users')).status).to.equal(200)
    })

    it('gives the tokens of a removed connection the same 401 as a bad token', async () => {
      const legacy = await started.token('acme', 'legacy')
      const directory = await started.token('acme', 'directory')
      await eventually('legacy serves', statusOf(started, legacy), (s) => s === 200)
      await writeFile(tenantFile(started, 'acme'), directoryTenant('acme'))
      await eventually('legacy refused', statusOf(started, legacy), (s) => s === 401)

      const bad = await scimClient({ baseUrl: started.scimUrl, token: 'scgw_nope_nope' }).get(
        '/Users',
      )
      expect(bad.status).to.equal(401)
      for (const base of [started.scimUrl, `${started.origin}/t/acme/legacy/scim/v2`]) {
        const refused = await scimClient({ baseUrl: base, token: legacy }).get('/Users')
        expect(refused.status).to.equal(401)
        expect(refused.body).to.deep.equal(bad.body)
        expect(refused.headers.get('www-authenticate')).to.equal(
          bad.headers.get('www-authenticate'),
        )
      }
      // The tenant's other connection is untouched.
      expect(await statusOf(started, directory)()).to.equal(200)
    })

    it('gives the tokens of a removed tenant file the same 401 as a bad token', async () => {
      const token = await started.token('hooli', 'directory')
      await writeFile(tenantFile(started, 'hooli'), directoryTenant('hooli'))
      await eventually('hooli serves', statusOf(started, token), (s) => s === 200)
      await rm(tenantFile(started, 'hooli'))
      await eventually('hooli refused', statusOf(started, token), (s) => s === 401)
      const refused = await scimClient({ baseUrl: started.scimUrl, token }).get('/Users')
      const bad = await scimClient({ baseUrl: started.scimUrl, token: 'scgw_nope_nope' }).get(
        '/Users',
      )
      expect(refused.body).to.deep.equal(bad.body)
    })
  })

  describe('through POST /admin/api/config/reload (no watcher)', () => {
    let started: StartedGateway

    before(async () => {
      started = await startGateway({
        env: { DEMO_KEY: 'reload-secret-5e9a' },
        tenants: {
          demo:
            'tenant: demo\nconnections:\n  directory:\n    connector: directory\n' +
            '    secrets: { apiKey: "${env:DEMO_KEY}" }\n',
        },
      })
    })
    after(() => started.close())

    it('serves a tenant added as a file once asked to reload', async () => {
      const token = await started.token('initech', 'directory')
      await writeFile(tenantFile(started, 'initech'), directoryTenant('initech'))
      // Nothing watches this gateway's folder: the file alone changes nothing.
      expect(await statusOf(started, token)()).to.equal(401)
      const before = await adminConfig(started)

      const reload = await admin(started, 'POST', '/config/reload')
      expect(reload.status).to.equal(200)
      expect(objectOf(reload)).to.include({ ok: true, reason: 'admin API' })
      expect(objectOf(reload).problems).to.deep.equal([])

      expect(await statusOf(started, token)()).to.equal(200)
      const after = await adminConfig(started)
      expect(after.generation).to.equal(before.generation + 1)
      expect(after.lastReload).to.include({ ok: true, reason: 'admin API' })
    })

    it('answers 422 with file:line problems for a broken file, and keeps the old generation', async () => {
      const token = await started.token('demo', 'directory')
      const before = await adminConfig(started)
      const file = tenantFile(started, 'demo')
      await writeFile(file, 'tenant: demo\ndialect: azure\nconnections: {}\n')

      const reload = await admin(started, 'POST', '/config/reload')
      expect(reload.status).to.equal(422)
      expect(objectOf(reload)).to.include({ ok: false, reason: 'admin API' })
      expect(objectOf(reload).problems).to.deep.equal([
        `${file}:2: dialect must be one of auto, entra, okta, generic`,
        `${file}:3: connections must NOT have fewer than 1 properties`,
      ])
      const after = await adminConfig(started)
      expect(after.generation).to.equal(before.generation)
      expect(after.lastReload).to.deep.include({ ok: false, problems: objectOf(reload).problems })
      expect(await statusOf(started, token)()).to.equal(200)

      await writeFile(file, directoryTenant('demo'))
      const again = await admin(started, 'POST', '/config/reload')
      expect(again.status).to.equal(200)
      expect((await adminConfig(started)).lastReload).to.include({ ok: true })
      expect(await statusOf(started, token)()).to.equal(200)
    })

    it('never shows a secret value in the configuration it reports', async () => {
      await writeFile(
        tenantFile(started, 'demo'),
        'tenant: demo\nconnections:\n  directory:\n    connector: directory\n' +
          '    secrets: { apiKey: "${env:DEMO_KEY}", other: "${env:DEMO_UNSET}" }\n',
      )
      const refused = await admin(started, 'POST', '/config/reload')
      const shown = await admin(started, 'GET', '/config')
      const text = JSON.stringify([refused.body, shown.body])
      expect(text).to.include('DEMO_UNSET')
      expect(text).to.not.include('reload-secret-5e9a')
    })
  })

  describe('the admin API', () => {
    let started: StartedGateway

    before(async () => {
      started = await startGateway()
    })
    after(() => started.close())

    const refusals: [string, string | null][] = [
      ['no credential', null],
      ['a wrong credential', 'Bearer not-the-admin-credential'],
      ['the right credential in another scheme', `Basic ${ADMIN_TOKEN}`],
      ['a SCIM gateway token', 'Bearer scgw_abc_def'],
    ]
    for (const [name, authorization] of refusals) {
      it(`refuses ${name} with 401, on reading and on reloading`, async () => {
        const before = await adminConfig(started)
        for (const [method, path] of [
          ['GET', '/config'],
          ['POST', '/config/reload'],
        ] as const) {
          const response = await admin(started, method, path, authorization)
          expect(response.status, `${method} ${path}`).to.equal(401)
          expect(JSON.stringify(response.body)).to.not.include('generation')
        }
        const after = await adminConfig(started)
        expect(after.generation).to.equal(before.generation)
        expect(after.lastReload).to.deep.equal(before.lastReload)
      })
    }

    it('answers the admin credential', async () => {
      const config = await adminConfig(started)
      expect(config.tenants.map((t) => t.tenant).sort()).to.deep.equal(['acme', 'demo'])
      expect(config.lastReload).to.equal(null)
    })
  })
})
