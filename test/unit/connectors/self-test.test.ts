import { expect } from 'chai'
import { runSelfTest, type SelfTestOptions } from '../../../src/connectors/self-test.ts'
import { parseFilter } from '../../../src/scim/filter.ts'
import type { RequestContext, ResourceService } from '../../../src/scim/types.ts'
import { startGateway, type StartedGateway } from '../../helpers/start-gateway.ts'
import {
  simRequests,
  simState,
  startProducts,
  type ProductGateway,
} from '../../helpers/start-products.ts'

const READ_ONLY = 'Test Connection (read-only)'
const CYCLE = [
  'Create user',
  'Read back by id',
  'Read back by filter',
  'Update name.givenName',
  'Deactivate (active false)',
]

const context = (): RequestContext => ({
  requestId: 'test',
  projection: {},
  trace: { upstream: [], ignored: [] },
})

/** The self-test of one of tenant `demo`'s connections, wired as `connector test` wires it. */
function selfTestOf(
  started: StartedGateway,
  connection: string,
  extra: Partial<SelfTestOptions> = {},
) {
  const generation = started.gateway.config.current()
  const resolved = generation.built.resolveConnection('demo', connection)
  if (!resolved) throw new Error(`no connection demo/${connection}`)
  const profile = generation.profiles.get(resolved.config.connector)
  const deletePolicy = profile && (resolved.config.deletePolicy ?? profile.deletePolicy)
  const probe = resolved.jobs?.probe
  return runSelfTest({
    service: resolved.service,
    ...(probe ? { probe } : {}),
    ...(profile ? { product: profile.product } : {}),
    ...(deletePolicy ? { deletePolicy } : {}),
    now: () => new Date(),
    ...extra,
  })
}

function serviceOf(started: StartedGateway, connection: string): ResourceService {
  const resolved = started.gateway.config.current().built.resolveConnection('demo', connection)
  if (!resolved) throw new Error(`no connection demo/${connection}`)
  return resolved.service
}

async function userNamed(service: ResourceService, userName: string) {
  const result = await service.list(
    'User',
    {
      filter: parseFilter('User', `userName eq "${userName}"`),
      startIndex: 1,
      count: 10,
      sortOrder: 'ascending',
    },
    context(),
  )
  return result.resources
}

const namesOf = (steps: { name: string }[]) => steps.map((s) => s.name)
const failuresOf = (steps: { name: string; ok: boolean }[]) =>
  steps.filter((s) => !s.ok).map((s) => s.name)

describe('connector self-test', function () {
  this.timeout(60_000)

  describe('on a directory connection', () => {
    let started: StartedGateway

    before(async () => {
      started = await startGateway()
    })
    after(async () => {
      await started.close()
    })

    it("passes Entra's read-only Test Connection with an empty answer for a random GUID", async () => {
      const steps = await selfTestOf(started, 'directory')
      expect(namesOf(steps)).to.deep.equal([READ_ONLY])
      expect(steps[0]?.ok, steps[0]?.detail).to.equal(true)
      expect(steps[0]?.detail).to.match(/filter userName eq "[0-9a-f-]{36}" → empty ListResponse/)
      expect(steps[0]?.ms).to.be.a('number').and.at.least(0)
    })

    it('fails Test Connection when a random GUID finds a user, as Entra would', async () => {
      const real = serviceOf(started, 'directory')
      const lying: ResourceService = {
        ...real,
        list: () => Promise.resolve({ totalResults: 1, resources: [{ id: 'x', userName: 'x' }] }),
      }
      const steps = await runSelfTest({ service: lying, now: () => new Date() })
      expect(steps).to.have.length(1)
      expect(steps[0]?.ok).to.equal(false)
      expect(steps[0]?.detail).to.match(/should find nothing, found totalResults 1/)
    })

    it('creates, reads, updates, deactivates and deletes a throw-away user, leaving none', async () => {
      const email = 'self.test@example.com'
      const steps = await selfTestOf(started, 'directory', { email })
      expect(failuresOf(steps), JSON.stringify(steps, null, 2)).to.deep.equal([])
      expect(namesOf(steps)).to.deep.equal([READ_ONLY, ...CYCLE, 'Delete (deletePolicy directory)'])
      expect(steps.at(-1)?.detail).to.match(/GET now 404/)
      expect(await userNamed(serviceOf(started, 'directory'), email)).to.deep.equal([])
    })

    it('stops at a create that fails and leaves an existing user of that name alone', async () => {
      const service = serviceOf(started, 'directory')
      const email = 'already.there@example.com'
      await service.create(
        'User',
        { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: email },
        context(),
      )
      const steps = await selfTestOf(started, 'directory', { email })
      expect(namesOf(steps)).to.deep.equal([READ_ONLY, 'Create user'])
      expect(steps[1]?.ok).to.equal(false)
      expect(steps[1]?.detail).to.match(/^409 uniqueness: /)
      expect(await userNamed(service, email)).to.have.length(1)
    })

    it('still deletes the user it created when a later step fails', async () => {
      const real = serviceOf(started, 'directory')
      const email = 'patch.breaks@example.com'
      const broken: ResourceService = {
        ...real,
        patch: () => Promise.reject(new Error('patch is broken')),
      }
      const steps = await runSelfTest({ service: broken, email, now: () => new Date() })
      expect(namesOf(steps)).to.deep.equal([
        READ_ONLY,
        'Create user',
        'Read back by id',
        'Read back by filter',
        'Update name.givenName',
        'Delete (deletePolicy directory)',
      ])
      expect(failuresOf(steps)).to.deep.equal(['Update name.givenName'])
      expect(steps[4]?.detail).to.equal('patch is broken')
      expect(await userNamed(real, email)).to.deep.equal([])
    })
  })

  describe('on product connections', () => {
    let products: ProductGateway

    before(async () => {
      products = await startProducts()
    })
    after(async () => {
      await products.close()
    })

    it('asks Tresorit itself for a random key, which proves the credential', async () => {
      const steps = await selfTestOf(products.started, 'tresorit')
      expect(steps).to.have.length(1)
      expect(steps[0]?.ok, steps[0]?.detail).to.equal(true)
      expect(steps[0]?.detail).to.match(/a lookup of a random key in Tresorit found nothing/)
      const lookups = (await simRequests(products.tresorit)).filter((r) =>
        /selftest\.invalid$/.test(decodeURIComponent(r.path)),
      )
      expect(lookups.map((r) => [r.method, r.status])).to.deep.equal([['GET', 404]])
    })

    it('asks Torii itself through its SCIM filter', async () => {
      const steps = await selfTestOf(products.started, 'torii')
      expect(steps[0]?.ok, steps[0]?.detail).to.equal(true)
      expect(steps[0]?.detail).to.match(/in Torii found nothing/)
    })

    it('fails Test Connection with a clear detail when Tresorit refuses the credential', async () => {
      const wrong = await startGateway({
        tenants: {
          demo: [
            'tenant: demo',
            'connections:',
            '  tresorit:',
            '    connector: tresorit',
            `    baseUrl: ${products.tresorit.baseUrl}`,
            '    secrets: { apiToken: "${env:TRESORIT_TOKEN}" }',
            '',
          ].join('\n'),
        },
        env: { TRESORIT_TOKEN: 'not-the-token' },
      })
      try {
        const steps = await selfTestOf(wrong, 'tresorit', { email: 'never@example.com' })
        expect(steps).to.have.length(1)
        expect(steps[0]?.ok).to.equal(false)
        expect(steps[0]?.detail).to.match(
          /empty ListResponse, but the check of Tresorit failed: .*refused the gateway's credential \(401\)/,
        )
      } finally {
        await wrong.close()
      }
    })

    it('runs the write cycle on Tresorit: invited, suspended, removed, licence freed', async () => {
      const email = 'Cycle.User@example.com'
      const before = await simState<{ license: { used: number } }>(products.tresorit)
      const steps = await selfTestOf(products.started, 'tresorit', { email })
      expect(failuresOf(steps), JSON.stringify(steps, null, 2)).to.deep.equal([])
      expect(namesOf(steps).at(-1)).to.equal('Delete (deletePolicy remove)')
      // Tresorit takes names at registration only: the rename stays in the SCIM view.
      expect(steps[4]?.detail).to.match(/not sent to Tresorit \(writeOnCreateOnly\)/)
      const after = await simState<{
        license: { used: number }
        users: { email: string; status: string }[]
      }>(products.tresorit)
      // `remove` takes the user out of the subscription; the product keeps the account.
      const mine = after.users.filter((u) => u.email === email.toLowerCase())
      expect(mine.map((u) => u.status)).to.deep.equal(['removed'])
      expect(after.license.used).to.equal(before.license.used)
      expect(await userNamed(serviceOf(products.started, 'tresorit'), email)).to.deep.equal([])
    })

    it('runs the write cycle on Torii and leaves no user in Torii', async () => {
      const email = 'torii.cycle@example.com'
      const steps = await selfTestOf(products.started, 'torii', { email })
      expect(failuresOf(steps), JSON.stringify(steps, null, 2)).to.deep.equal([])
      expect(namesOf(steps).at(-1)).to.equal('Delete (deletePolicy hard)')
      const state = await simState<{ users: { userName: string }[] }>(products.torii)
      expect(state.users.filter((u) => u.userName === email)).to.deep.equal([])
      expect(await userNamed(serviceOf(products.started, 'torii'), email)).to.deep.equal([])
    })
  })

  describe('when the product is down', () => {
    let products: ProductGateway

    before(async () => {
      products = await startProducts()
      await products.torii.close()
    })
    after(async () => {
      // Torii is already closed.
      await products.started.close()
      await products.tresorit.close()
    })

    it('fails Test Connection naming the unreachable product and writes nothing', async () => {
      const steps = await selfTestOf(products.started, 'torii', { email: 'never@example.com' })
      expect(steps).to.have.length(1)
      expect(steps[0]?.ok).to.equal(false)
      expect(steps[0]?.detail).to.match(
        /the check of Torii failed: 502: Torii is unreachable/,
        steps[0]?.detail,
      )
    })
  })
})
