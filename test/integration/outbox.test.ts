import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { createOutboxWorker } from '../../src/jobs/outbox-worker.ts'
import { createLogger } from '../../src/log.ts'
import type { SimulatorHandle } from '../../src/simulators/index.ts'
import type { Job, NewJob, OutboxStore } from '../../src/store/outbox.ts'
import { runCli } from '../helpers/child-gateway.ts'
import {
  busiestWindow,
  eventually,
  inState,
  inviteAccepted,
  productRequests,
  settled,
  userPath,
  writeTresoritProfile,
  type LoggedRequest,
} from '../helpers/outbox-fixtures.ts'
import { ADMIN_TOKEN } from '../helpers/start-gateway.ts'
import {
  simFault,
  simState,
  startProducts,
  type ProductGateway,
} from '../helpers/start-products.ts'

const KEY = 'demo/tresorit'
const LISTEN = 'listen: { host: 127.0.0.1, port: 0 }\n'

type Status = 'active' | 'suspended'

interface ProductUsers {
  users: { email: string; status: string }[]
}

interface ConnectionsBody {
  connections: {
    tenant: string
    connection: string
    outbox: { queued: number; running: number; dead: number; oldestQueuedAt: string | null }
  }[]
}

const nativeUpdate = (email: string, status: Status): NewJob => ({
  connectionKey: KEY,
  kind: 'native-update',
  resource: `User:${email}`,
  payload: { method: 'PATCH', path: `/users/${email}`, body: { status } },
})

const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString()

async function enqueue(store: OutboxStore, job: NewJob, now = isoIn(0)): Promise<number> {
  const id = await store.enqueue(job, now)
  if (id === undefined) throw new Error('the job was not queued')
  return id
}

/** The statuses the product was sent for `email` by PATCH, in arrival order, with their answers. */
function patchesFor(sim: SimulatorHandle, log: readonly LoggedRequest[], email: string) {
  const path = userPath(sim, email)
  return log
    .filter((r) => r.method === 'PATCH' && r.path === path)
    .map((r) => ({ status: (r.body as { status?: unknown }).status, answer: r.status, at: r.at }))
}

async function productStatusOf(sim: SimulatorHandle, email: string): Promise<string | undefined> {
  return (await simState<ProductUsers>(sim)).users.find((u) => u.email === email)?.status
}

async function admin(
  products: ProductGateway,
  method: string,
  path: string,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${products.started.origin}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  })
  const text = await res.text()
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) }
}

async function outboxOf(products: ProductGateway, connection: string) {
  const { status, body } = await admin(products, 'GET', '/connections')
  expect(status).to.equal(200)
  const found = (body as ConnectionsBody).connections.find(
    (c) => c.tenant === 'demo' && c.connection === connection,
  )
  if (!found) throw new Error(`no connection demo/${connection} in GET /admin/api/connections`)
  return found.outbox
}

async function jobEvents(products: ProductGateway, id: number, outcome?: string) {
  const events = await products.started.gateway.events.list({
    tenant: 'demo',
    connection: 'tresorit',
    ...(outcome ? { outcome } : {}),
    limit: 1000,
  })
  return events.filter((e) => e.method === 'JOB' && e.resourceId === String(id)).reverse()
}

describe('outbox: queued native updates through a real gateway and the product simulator', function () {
  this.timeout(40_000)
  const LIMIT = 1200
  let profiles: string
  let products: ProductGateway

  before(async () => {
    profiles = await writeTresoritProfile({ requestsPerMinute: LIMIT })
    products = await startProducts({
      tresorit: { rateLimit: { limit: LIMIT, windowSeconds: 60 } },
      gatewayYaml: `${LISTEN}connectors: ${profiles}\noutbox: { pollMs: 20, concurrency: 4 }\n`,
    })
  })
  after(async () => {
    await products.close()
    await rm(profiles, { recursive: true, force: true })
  })

  it('applies 200 updates for 10 users, each user’s in queue order, never above the product’s rate limit', async () => {
    const sim = products.tresorit
    const { outbox } = products.started.gateway
    const emails = Array.from({ length: 10 }, (_, i) => `bulk${i}@example.com`)
    for (const email of emails) await inviteAccepted(sim, email)

    const queued = new Map<string, Status[]>(emails.map((e) => [e, []]))
    const ids: number[] = []
    for (let round = 0; round < 20; round++) {
      for (const [u, email] of emails.entries()) {
        const status: Status = (u + round) % 2 === 0 ? 'suspended' : 'active'
        queued.get(email)?.push(status)
        ids.push(await enqueue(outbox, nativeUpdate(email, status)))
      }
    }

    const jobs = await settled(outbox, ids, 30_000)
    expect(jobs.filter((j) => j.state !== 'done').map((j) => [j.id, j.lastError])).to.deep.equal([])
    expect(jobs.every((j) => j.attempts === 1)).to.equal(true)

    const log = await productRequests(sim)
    const state = await simState<ProductUsers>(sim)
    for (const email of emails) {
      const sent = patchesFor(sim, log, email)
      expect(
        sent.map((p) => p.status),
        email,
      ).to.deep.equal(queued.get(email))
      expect(sent.every((p) => p.answer === 200)).to.equal(true)
      expect(state.users.find((u) => u.email === email)?.status, email).to.equal(
        queued.get(email)?.at(-1),
      )
    }
    const patches = log.filter((r) => r.method === 'PATCH')
    expect(patches).to.have.length(200)
    expect(
      busiestWindow(
        patches.map((r) => r.at),
        60_000,
      ),
    ).to.be.at.most(LIMIT)
    expect(log.filter((r) => r.status === 429)).to.deep.equal([])
  })
})

describe('outbox: more work queued than the product’s budget allows in a minute', function () {
  this.timeout(40_000)
  const LIMIT = 30
  const emails = Array.from({ length: 10 }, (_, i) => `budget${i}@example.com`)
  let profiles: string
  let products: ProductGateway

  before(async () => {
    profiles = await writeTresoritProfile({ requestsPerMinute: LIMIT })
    products = await startProducts({
      // The same budget at the product: one request over it would be answered 429.
      tresorit: {
        rateLimit: { limit: LIMIT, windowSeconds: 60 },
        users: emails.map((email) => ({ email, status: 'active' as const })),
      },
      gatewayYaml: `${LISTEN}connectors: ${profiles}\nupstream: { maxRetryWaitSeconds: 1 }\noutbox: { pollMs: 20, maxAttempts: 2 }\n`,
    })
  })
  after(async () => {
    await products.close()
    await rm(profiles, { recursive: true, force: true })
  })

  it('sends what the budget allows and holds the rest back, queued and retried but never dead', async () => {
    const sim = products.tresorit
    const { outbox } = products.started.gateway
    const queued = new Map<string, Status[]>(emails.map((e) => [e, []]))
    const ids: number[] = []
    for (let round = 0; round < 4; round++) {
      for (const [u, email] of emails.entries()) {
        const status: Status = (u + round) % 2 === 0 ? 'suspended' : 'active'
        queued.get(email)?.push(status)
        ids.push(await enqueue(outbox, nativeUpdate(email, status)))
      }
    }

    await eventually('the budget spent', async () => {
      const n = (await productRequests(sim)).filter((r) => r.method === 'PATCH').length
      return n >= LIMIT ? n : undefined
    })
    // Held back by the gateway's own budget more often than maxAttempts: still not dead, since
    // the product never saw it.
    const heldBack = await eventually(
      'a job held back by the budget twice',
      async () => {
        const events = await products.started.gateway.events.list({
          tenant: 'demo',
          connection: 'tresorit',
          outcome: 'retrying',
          limit: 1000,
        })
        const perJob = new Map<string, number>()
        for (const e of events) {
          if (!/request budget for Tresorit is spent/.test(e.detail ?? '')) continue
          perJob.set(e.resourceId ?? '', (perJob.get(e.resourceId ?? '') ?? 0) + 1)
        }
        return [...perJob.entries()].find(([, n]) => n >= 2)?.[0]
      },
      20_000,
    )

    const jobs = (await Promise.all(ids.map((id) => outbox.get(id)))).filter(
      (j): j is Job => j !== undefined,
    )
    expect(jobs.filter((j) => j.state === 'dead').map((j) => [j.id, j.lastError])).to.deep.equal([])
    expect(jobs.filter((j) => j.state === 'done')).to.have.length(LIMIT)
    expect(jobs.find((j) => String(j.id) === heldBack)?.state).to.be.oneOf(['queued', 'running'])

    const log = await productRequests(sim)
    const patches = log.filter((r) => r.method === 'PATCH')
    expect(patches).to.have.length(LIMIT)
    expect(
      busiestWindow(
        patches.map((r) => r.at),
        60_000,
      ),
    ).to.be.at.most(LIMIT)
    expect(log.filter((r) => r.status === 429)).to.deep.equal([])
    // What was sent is, for each user, the start of what was queued, in order.
    for (const email of emails) {
      const sent = patchesFor(sim, log, email).map((p) => p.status)
      expect(sent, email).to.deep.equal(queued.get(email)?.slice(0, sent.length))
    }
  })
})

describe('outbox: a product failing for a while, then recovering', function () {
  this.timeout(40_000)
  let profiles: string
  let products: ProductGateway

  before(async () => {
    // A breaker that stays closed, so every attempt reaches the product and is its answer.
    profiles = await writeTresoritProfile({
      breaker: { failureThreshold: 1000, cooldownSeconds: 1 },
    })
    products = await startProducts({
      gatewayYaml: `${LISTEN}connectors: ${profiles}\noutbox: { pollMs: 50 }\n`,
    })
  })
  after(async () => {
    await products.close()
    await rm(profiles, { recursive: true, force: true })
  })

  it('retries through 503s and a 429 (honouring its Retry-After) until every job is applied', async () => {
    const sim = products.tresorit
    const { outbox } = products.started.gateway
    const emails = Array.from({ length: 4 }, (_, i) => `flaky${i}@example.com`)
    for (const email of emails) await inviteAccepted(sim, email)
    // Four jobs in flight, each sending a request and its 3 retries: the first 16 requests
    // all fail, so each user's first job fails its first attempt; then 4 more 503s and a 429.
    await simFault(sim, { count: 20, status: 503 })
    await simFault(sim, { count: 1, status: 429, retryAfter: 1 })

    const queued = new Map<string, Status[]>(emails.map((e) => [e, ['suspended', 'active']]))
    const firsts: number[] = []
    const ids: number[] = []
    for (const email of emails) firsts.push(await enqueue(outbox, nativeUpdate(email, 'suspended')))
    for (const email of emails) ids.push(await enqueue(outbox, nativeUpdate(email, 'active')))
    ids.unshift(...firsts)

    const jobs = await settled(outbox, ids, 30_000)
    expect(jobs.map((j) => j.state)).to.deep.equal(ids.map(() => 'done'))
    for (const job of jobs.filter((j) => firsts.includes(j.id))) {
      expect(job.attempts, `job ${job.id}`).to.be.at.least(2)
      expect(job.lastError).to.equal(null)
      const retrying = await jobEvents(products, job.id, 'retrying')
      expect(retrying).to.have.length(job.attempts - 1)
      expect(retrying[0]?.detail).to.match(/Tresorit failed \(503\)/)
      expect(retrying[0]?.upstream.map((c) => c.status)).to.deep.equal([503, 503, 503, 503])
      expect((await jobEvents(products, job.id, 'done')).length).to.equal(1)
    }

    const log = await productRequests(sim)
    expect(log.filter((r) => r.status === 503)).to.have.length(20)
    const limited = log.findIndex((r) => r.status === 429)
    expect(limited).to.be.at.least(0)
    const after429 = log.slice(limited + 1).find((r) => r.path === log[limited]?.path)
    expect(
      Date.parse(after429?.at ?? '') - Date.parse(log[limited]?.at ?? ''),
      'the next request for that user waited for Retry-After',
    ).to.be.at.least(1000)
    for (const email of emails) {
      const applied = patchesFor(sim, log, email).filter((p) => p.answer === 200)
      expect(
        applied.map((p) => p.status),
        email,
      ).to.deep.equal(queued.get(email))
      expect(await productStatusOf(sim, email)).to.equal('active')
    }
  })
})

describe('outbox: jobs that cannot succeed', function () {
  this.timeout(40_000)
  let profiles: string
  let products: ProductGateway

  before(async () => {
    profiles = await writeTresoritProfile({
      breaker: { failureThreshold: 1000, cooldownSeconds: 1 },
    })
    products = await startProducts({
      gatewayYaml: `${LISTEN}connectors: ${profiles}\noutbox: { maxAttempts: 3, pollMs: 50 }\n`,
    })
  })
  after(async () => {
    await products.close()
    await rm(profiles, { recursive: true, force: true })
  })

  it('moves a native update the product refuses with 400 to dead at once, with the product’s reason', async () => {
    const sim = products.tresorit
    const { outbox } = products.started.gateway
    await inviteAccepted(sim, 'refused@example.com')
    const id = await enqueue(outbox, {
      ...nativeUpdate('refused@example.com', 'active'),
      payload: { method: 'PATCH', path: '/users/refused@example.com', body: { status: 'retired' } },
    })
    const job = await inState(outbox, id, 'dead')
    expect(job.attempts).to.equal(1)
    expect(job.lastError).to.match(
      /Tresorit refused the request \(400\).*status must be active or suspended/,
    )
    const sent = patchesFor(sim, await productRequests(sim), 'refused@example.com')
    expect(sent.map((p) => p.answer)).to.deep.equal([400])
    const dead = await jobEvents(products, id, 'dead')
    expect(dead.map((e) => e.detail)).to.deep.equal([job.lastError])
  })

  it('moves a job whose payload or kind the worker cannot run to dead without calling the product', async () => {
    const { outbox } = products.started.gateway
    const before = (await productRequests(products.tresorit)).length
    const noPath = await enqueue(outbox, {
      ...nativeUpdate('x@example.com', 'active'),
      payload: { method: 'GET', path: 'users' },
    })
    const unknown = await enqueue(outbox, {
      connectionKey: KEY,
      kind: 'teleport',
      resource: 'User:x@example.com',
      payload: {},
    })
    expect((await inState(outbox, noPath, 'dead')).lastError).to.match(/payload needs a method/)
    expect((await inState(outbox, unknown, 'dead')).lastError).to.equal('unknown job kind teleport')
    expect(await productRequests(products.tresorit)).to.have.length(before)
  })

  it('finishes an update for a user the product no longer has as done, noting it was skipped', async () => {
    const { outbox } = products.started.gateway
    const id = await enqueue(outbox, nativeUpdate('never-there@example.com', 'suspended'))
    const job = await inState(outbox, id, 'done')
    expect(job.attempts).to.equal(1)
    expect(job.lastError).to.equal(null)
    const skipped = await jobEvents(products, id, 'skipped')
    expect(skipped.map((e) => e.detail)).to.deep.equal(['Tresorit has no such resource any more'])
  })

  it('moves a job that keeps failing with 503 to dead after maxAttempts (3), with the last reason', async () => {
    const sim = products.tresorit
    const { outbox } = products.started.gateway
    await inviteAccepted(sim, 'down@example.com')
    await simFault(sim, { count: 1000, status: 503 })
    try {
      const id = await enqueue(outbox, nativeUpdate('down@example.com', 'suspended'))
      const job = await inState(outbox, id, 'dead', 20_000)
      expect(job.attempts).to.equal(3)
      expect(job.lastError).to.match(/Tresorit failed \(503\)/)
      const events = await jobEvents(products, id)
      expect(events.map((e) => e.outcome)).to.deep.equal(['retrying', 'retrying', 'dead'])
      // Each attempt is one request and the profile's 3 retries.
      const sent = patchesFor(sim, await productRequests(sim), 'down@example.com')
      expect(sent.map((p) => p.answer)).to.deep.equal(Array.from({ length: 12 }, () => 503))
    } finally {
      await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' })
    }
    expect(await productStatusOf(sim, 'down@example.com')).to.equal('active')
  })

  it('moves a job for a connection removed from the configuration to dead, “no longer configured”', async () => {
    const { outbox } = products.started.gateway
    const id = await enqueue(outbox, {
      connectionKey: 'demo/torii',
      kind: 'native-update',
      resource: 'User:someone',
      payload: { method: 'PATCH', path: '/users/someone', body: { active: false } },
      notBefore: isoIn(3_600_000),
    })
    const file = join(products.started.dir, 'config', 'demo.yaml')
    const tenant = await readFile(file, 'utf8')
    const withoutTorii = tenant.slice(0, tenant.indexOf('  torii:\n'))
    expect(withoutTorii).to.include('  tresorit:')
    await writeFile(file, withoutTorii)
    const reload = await admin(products, 'POST', '/config/reload')
    expect(reload.status).to.equal(200)
    expect(
      products.started.gateway.config.current().tenants.get('demo')?.connections,
    ).to.not.have.property('torii')

    expect((await admin(products, 'POST', `/outbox/${id}/retry`)).status).to.equal(204)
    const job = await inState(outbox, id, 'dead')
    expect(job.lastError).to.equal('connection demo/torii is no longer configured')
    expect(job.attempts).to.equal(1)
  })
})

describe('outbox: what an operator sees and does (admin API and CLI)', function () {
  this.timeout(60_000)
  const seeded = ['wait1', 'wait2', 'wait3', 'cli1', 'cli2'].map((n) => `${n}@example.com`)
  let products: ProductGateway

  before(async () => {
    products = await startProducts({
      tresorit: {
        users: [
          ...seeded.map((email) => ({ email, status: 'active' as const })),
          { email: 'left@example.com', status: 'removed' as const },
        ],
      },
      gatewayYaml: `${LISTEN}outbox: { pollMs: 50 }\n`,
    })
  })
  after(() => products.close())

  const later = () => ({ notBefore: isoIn(3_600_000) })

  it('shows the connection’s backlog and its oldest queued job while jobs wait', async () => {
    const { outbox } = products.started.gateway
    const oldest = isoIn(-180_000)
    const ids = [
      await enqueue(
        outbox,
        { ...nativeUpdate('wait1@example.com', 'suspended'), ...later() },
        oldest,
      ),
      await enqueue(outbox, { ...nativeUpdate('wait2@example.com', 'suspended'), ...later() }),
      await enqueue(outbox, { ...nativeUpdate('wait3@example.com', 'suspended'), ...later() }),
    ]
    expect(await outboxOf(products, 'tresorit')).to.deep.equal({
      queued: 3,
      running: 0,
      dead: 0,
      oldestQueuedAt: oldest,
    })
    expect(await outboxOf(products, 'directory')).to.deep.equal({
      queued: 0,
      running: 0,
      dead: 0,
      oldestQueuedAt: null,
    })
    const listed = await admin(products, 'GET', '/outbox?tenant=demo&state=queued')
    expect(listed.status).to.equal(200)
    expect((listed.body as { jobs: Job[] }).jobs.map((j) => j.id)).to.deep.equal([...ids].reverse())
    // Nothing was sent while they wait.
    expect(await productRequests(products.tresorit)).to.deep.equal([])
  })

  it('lists a dead job with its reason, and sends it round again on retry once the product is fixed', async () => {
    const sim = products.tresorit
    const { outbox } = products.started.gateway
    // The user was removed at the product: updating it is refused until it is invited again.
    const id = await enqueue(outbox, nativeUpdate('left@example.com', 'suspended'))
    const dead = await inState(outbox, id, 'dead')
    expect(dead.lastError).to.match(/Tresorit .*user_removed/)

    const listed = await admin(products, 'GET', '/outbox?tenant=demo&state=dead')
    expect(listed.status).to.equal(200)
    const jobs = (listed.body as { jobs: Job[] }).jobs
    expect(jobs.map((j) => [j.id, j.state, j.lastError])).to.deep.equal([
      [id, 'dead', dead.lastError],
    ])
    expect((await outboxOf(products, 'tresorit')).dead).to.equal(1)
    const elsewhere = await admin(products, 'GET', '/outbox?tenant=acme&state=dead')
    expect((elsewhere.body as { jobs: Job[] }).jobs).to.deep.equal([])

    await inviteAccepted(sim, 'left@example.com')
    expect((await admin(products, 'POST', `/outbox/${id}/retry`)).status).to.equal(204)
    const done = await inState(outbox, id, 'done')
    expect(done.attempts).to.equal(1)
    expect(done.lastError).to.equal(null)
    expect(await productStatusOf(sim, 'left@example.com')).to.equal('suspended')
    expect((await outboxOf(products, 'tresorit')).dead).to.equal(0)
    // A finished job is not sent again.
    expect((await admin(products, 'POST', `/outbox/${id}/retry`)).status).to.equal(404)
  })

  it('drops a waiting job, and refuses to drop one it does not have or list an unknown state', async () => {
    const { outbox } = products.started.gateway
    const id = await enqueue(outbox, { ...nativeUpdate('wait3@example.com', 'active'), ...later() })
    const before = (await outboxOf(products, 'tresorit')).queued
    expect((await admin(products, 'DELETE', `/outbox/${id}`)).status).to.equal(204)
    expect(await outbox.get(id)).to.equal(undefined)
    expect((await outboxOf(products, 'tresorit')).queued).to.equal(before - 1)
    expect((await admin(products, 'DELETE', `/outbox/${id}`)).status).to.equal(404)
    expect((await admin(products, 'GET', '/outbox?state=stuck')).status).to.equal(400)
    // Ids that cannot name a job are just not there, on PostgreSQL too (not a database error).
    for (const unknown of ['999999', 'abc', '1.5', '99999999999']) {
      expect((await admin(products, 'POST', `/outbox/${unknown}/retry`)).status, unknown).to.equal(
        404,
      )
      expect((await admin(products, 'DELETE', `/outbox/${unknown}`)).status, unknown).to.equal(404)
    }
  })

  it('the CLI lists the jobs, retries one now, drops one, and refuses an unknown id with ERR_OUTBOX_JOB', async () => {
    const sim = products.tresorit
    const { outbox } = products.started.gateway
    const env = products.started.childEnv
    const retried = await enqueue(outbox, {
      ...nativeUpdate('cli1@example.com', 'suspended'),
      ...later(),
    })
    const dropped = await enqueue(outbox, {
      ...nativeUpdate('cli2@example.com', 'suspended'),
      ...later(),
    })

    const list = await runCli(['outbox', 'list', '--tenant', 'demo'], env)
    expect(list.code, list.stderr).to.equal(0)
    const lines = list.stdout.trim().split('\n')
    for (const [id, email] of [
      [retried, 'cli1@example.com'],
      [dropped, 'cli2@example.com'],
    ] as const) {
      const line = `${id}  ${KEY}  native-update  User:${email}  queued  attempts=0`
      expect(
        lines.filter((l) => l.startsWith(line)),
        list.stdout,
      ).to.have.length(1)
    }
    const retry = await runCli(['outbox', 'retry', String(retried)], env)
    expect(retry.code, retry.stderr).to.equal(0)
    expect(retry.stdout).to.equal(`Queued ${retried} again\n`)
    await inState(outbox, retried, 'done')
    expect(await productStatusOf(sim, 'cli1@example.com')).to.equal('suspended')
    const done = await runCli(['outbox', 'list', '--tenant', 'demo', '--state', 'done'], env)
    expect(done.code, done.stderr).to.equal(0)
    expect(done.stdout).to.match(
      new RegExp(`^${retried}  ${KEY}  native-update  \\S+  done  `, 'm'),
    )
    expect(done.stdout).to.not.match(new RegExp(`^${dropped}  `, 'm'))

    const drop = await runCli(['outbox', 'drop', String(dropped)], env)
    expect(drop.code, drop.stderr).to.equal(0)
    expect(drop.stdout).to.equal(`Dropped ${dropped}\n`)
    expect(await outbox.get(dropped)).to.equal(undefined)
    expect(await productStatusOf(sim, 'cli2@example.com')).to.equal('active')

    for (const [args, message] of [
      [['retry', '999999'], 'No dead or queued job 999999'],
      [['drop', 'abc'], 'No job abc that is not running'],
    ] as const) {
      const unknown = await runCli(['outbox', ...args], env)
      expect(unknown.code, args.join(' ')).to.equal(1)
      expect(unknown.stderr).to.equal(`ERR_OUTBOX_JOB: ${message}\n`)
    }
  })
})

describe('outbox worker: stopping while it is taking jobs', function () {
  this.timeout(30_000)
  let products: ProductGateway

  before(async () => {
    products = await startProducts({ gatewayYaml: `${LISTEN}outbox: { pollMs: 50 }\n` })
  })
  after(() => products.close())

  it('runs nothing after stop() returns, even for jobs a poll in flight was taking', async () => {
    const sim = products.tresorit
    const { gateway } = products.started
    // Only the worker below takes jobs.
    await gateway.worker.stop()
    await inviteAccepted(sim, 'late@example.com')
    const id = await enqueue(gateway.outbox, nativeUpdate('late@example.com', 'suspended'))

    let entered: () => void = () => {}
    const claimEntered = new Promise<void>((resolve) => (entered = resolve))
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const store: OutboxStore = {
      ...gateway.outbox,
      async claim(...args) {
        entered()
        await gate
        return gateway.outbox.claim(...args)
      },
    }
    const worker = createOutboxWorker({
      store,
      jobsFor: (key) => {
        const [tenant = '', connection = ''] = key.split('/')
        return gateway.config.current().built.resolveConnection(tenant, connection)?.jobs
      },
      events: gateway.events,
      log: createLogger({ level: 'silent' }),
      now: () => new Date(),
      pollMs: 10,
    })
    worker.start()
    await claimEntered
    const stopped = worker.stop(5_000)
    release()
    await stopped

    const atStop = await gateway.outbox.get(id)
    const sentAtStop = patchesFor(sim, await productRequests(sim), 'late@example.com')
    expect(atStop?.state, 'the job taken while stopping is finished or released').to.be.oneOf([
      'done',
      'queued',
    ])
    expect(atStop?.leaseOwner).to.equal(null)
    // A few poll intervals later nothing has changed: the stopped worker ran nothing more.
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(await gateway.outbox.get(id)).to.deep.equal(atStop)
    expect(patchesFor(sim, await productRequests(sim), 'late@example.com')).to.deep.equal(
      sentAtStop,
    )
  })
})
