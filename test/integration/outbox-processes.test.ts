import { once } from 'node:events'
import { expect } from 'chai'
import type { ProvisioningEvent } from '../../src/store/events.ts'
import type { Job } from '../../src/store/outbox.ts'
import { startChildGateway, type ChildGateway } from '../helpers/child-gateway.ts'
import {
  eventually,
  startKillScenario,
  type KillScenario,
} from '../helpers/outbox-process-products.ts'
import { expectScimError, objectOf, scimClient } from '../helpers/scim-client.ts'
import { usePostgres, type StartedGateway } from '../helpers/start-gateway.ts'
import {
  simFault,
  simRequests,
  simState,
  startProducts,
  type ProductGateway,
} from '../helpers/start-products.ts'

const engine = usePostgres ? 'PostgreSQL' : 'SQLite (WAL)'

const USERS = 25
const JOBS_PER_USER = 4
const STATUSES = ['suspended', 'active'] as const

interface TresoritState {
  users: { email: string; status: string }[]
}

interface LinkRow {
  id: string
  native_id: string | null
  state: string
}

const linkRows = (started: StartedGateway, userName: string): Promise<LinkRow[]> =>
  started.gateway.db('links').select('id', 'native_id', 'state').where({
    connection_key: 'demo/tresorit',
    resource_type: 'User',
    user_name_lower: userName.toLowerCase(),
  })

/** The reconcile-claim jobs, once none is queued or running (the link is written first). */
const settledReconciliations = (started: StartedGateway): Promise<Job[]> =>
  eventually(
    async () =>
      (await started.gateway.outbox.list({ tenant: 'demo' })).filter(
        (job) => job.kind === 'reconcile-claim',
      ),
    (jobs) => jobs.every((job) => job.state === 'done' || job.state === 'dead'),
    10_000,
    'the reconcile-claim job finished',
  )

const newUser = (userName: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName,
  name: { givenName: 'Kim', familyName: 'Lee' },
  active: true,
})

describe(`outbox shared by gateway processes (${engine})`, () => {
  describe('two processes working one outbox', () => {
    let products: ProductGateway | undefined
    let child: ChildGateway | undefined
    const emails = Array.from({ length: USERS }, (_, i) => `user${i}@example.com`)

    before(async function () {
      this.timeout(60_000)
      products = await startProducts({
        tresorit: { users: emails.map((email) => ({ email })), rateLimit: false },
        gatewayYaml:
          'listen: { host: 127.0.0.1, port: 0 }\noutbox: { pollMs: 50, concurrency: 4 }\n',
      })
      child = await startChildGateway({
        ...products.started.childEnv,
        TRESORIT_TOKEN: products.tresorit.credential,
        TORII_KEY: products.torii.credential,
      })
    })

    after(async function () {
      this.timeout(30_000)
      await child?.stop()
      await products?.close()
    })

    it('runs every job exactly once, in order per user, with both processes taking jobs', async function () {
      this.timeout(60_000)
      const { started, tresorit } = products!
      const { gateway } = started
      // Events are recorded by the process that ran the job: this process's are caught here.
      const ranHere = new Set<number>()
      const record = gateway.events.record.bind(gateway.events)
      gateway.events.record = (event: ProvisioningEvent) => {
        if (event.method === 'JOB' && event.resourceId) ranHere.add(Number(event.resourceId))
        record(event)
      }
      try {
        const queued = new Map<number, { email: string; status: string; ref: string }>()
        for (let round = 0; round < JOBS_PER_USER; round++) {
          for (const email of emails) {
            const status = STATUSES[round % 2] ?? 'active'
            const ref = `${email}#${round}`
            const id = await gateway.outbox.enqueue(
              {
                connectionKey: 'demo/tresorit',
                kind: 'native-update',
                resource: `User:${email}`,
                payload: { method: 'PATCH', path: `/users/${email}`, body: { status, ref } },
              },
              new Date().toISOString(),
            )
            expect(id).to.be.a('number')
            queued.set(id!, { email, status, ref })
          }
        }
        expect(queued.size).to.equal(USERS * JOBS_PER_USER)

        const jobs = await eventually(
          async () =>
            (await gateway.outbox.list({ tenant: 'demo', limit: 1000 })).filter((job) =>
              queued.has(job.id),
            ),
          (list) =>
            list.length === queued.size &&
            list.every((job) => job.state === 'done' || job.state === 'dead'),
          30_000,
          'every job finished',
        )
        for (const job of jobs) {
          expect(job.state, `job ${job.id}: ${job.lastError ?? ''}`).to.equal('done')
          // Taken once: every claim counts an attempt.
          expect(job.attempts, `job ${job.id}`).to.equal(1)
        }

        // The product got every job's request once, answered it, and in queue order per user.
        const patches = (await simRequests(tresorit)).filter((r) => r.method === 'PATCH')
        const refs = patches.map((r) => (r.body as { ref: string }).ref)
        expect(refs).to.have.length(queued.size)
        expect(new Set(refs).size).to.equal(queued.size)
        expect([...refs].sort()).to.deep.equal([...queued.values()].map((q) => q.ref).sort())
        expect(patches.every((r) => r.status === 200)).to.equal(true)
        for (const email of emails) {
          const order = patches
            .filter((r) => r.path.endsWith(`/users/${email}`))
            .map((r) => (r.body as { ref: string }).ref)
          expect(order).to.deep.equal(
            Array.from({ length: JOBS_PER_USER }, (_, round) => `${email}#${round}`),
          )
        }
        const state = await simState<TresoritState>(tresorit)
        const last = STATUSES[(JOBS_PER_USER - 1) % 2]
        for (const email of emails)
          expect(state.users.find((u) => u.email === email)?.status, email).to.equal(last)

        // One event per job in the shared table; those not recorded here ran in the child.
        await gateway.events.flush()
        const rows = await eventually(
          async (): Promise<{ resource_id: string }[]> =>
            gateway
              .db<{ resource_id: string; method: string; tenant: string }>('events')
              .select('resource_id')
              .where({ method: 'JOB', tenant: 'demo' }),
          (list) => list.length >= queued.size,
          10_000,
          'events of both processes flushed',
        )
        const ran = rows.map((r) => Number(r.resource_id))
        expect(ran).to.have.length(queued.size)
        expect([...new Set(ran)].sort((a, b) => a - b)).to.deep.equal(
          [...queued.keys()].sort((a, b) => a - b),
        )
        const ranInChild = ran.filter((id) => !ranHere.has(id))
        expect(ranHere.size, 'jobs run by the in-test process').to.be.greaterThan(0)
        expect(ranInChild.length, 'jobs run by the child process').to.be.greaterThan(0)
        expect(ranHere.size + ranInChild.length).to.equal(queued.size)
      } finally {
        gateway.events.record = record
      }
    })
  })

  /**
   * A gateway process SIGKILLed while the product holds its create: the claim stays pending
   * in the database, and a fresh process's outbox settles it by the product's key.
   */
  const killDuringCreate = async (scenario: KillScenario, fault: Record<string, unknown>) => {
    const { sim, started, children } = scenario
    const token = await started.token('demo', 'tresorit')
    const first = await startChildGateway(started.childEnv)
    children.push(first)
    await simFault(sim, fault)
    sim.onRequest((req) => {
      if (req.method === 'POST' && req.url?.endsWith('/users/invite')) first.process.kill('SIGKILL')
    })
    const exited = once(first.process, 'exit')
    const answer = await fetch(`${first.scimUrl}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify(newUser('Kim.Lee@example.com')),
    }).then(
      (res) => `answered ${res.status}`,
      () => 'no answer',
    )
    sim.onRequest(undefined)
    expect(answer, 'the gateway died before it could answer').to.equal('no answer')
    const [, signal] = (await exited) as [number | null, NodeJS.Signals | null]
    expect(signal).to.equal('SIGKILL')
    const [claim, ...others] = await linkRows(started, 'kim.lee@example.com')
    expect(others).to.have.length(0)
    expect(claim?.state).to.equal('pending')
    expect(claim?.native_id).to.equal(null)
    return { token, claimId: claim?.id ?? '' }
  }

  describe('a process killed while the product creates the user', () => {
    let scenario: KillScenario | undefined

    before(async function () {
      this.timeout(60_000)
      scenario = await startKillScenario()
    })

    after(async function () {
      this.timeout(30_000)
      await scenario?.close()
    })

    it('links the user the product created, with no IdP request, and the IdP retry gets 409 uniqueness', async function () {
      this.timeout(60_000)
      const { sim, started, children } = scenario!
      const { token, claimId } = await killDuringCreate(scenario!, { count: 1, delayMs: 1500 })
      // The product finishes the create although nobody is left to hear the answer.
      await eventually(
        () => simState<TresoritState>(sim),
        (state) => state.users.some((u) => u.email === 'kim.lee@example.com'),
        10_000,
        'the product created the user',
      )

      const fresh = await startChildGateway(started.childEnv)
      children.push(fresh)
      const [active] = await eventually(
        () => linkRows(started, 'kim.lee@example.com'),
        (rows) => rows.length === 1 && rows[0]?.state === 'active',
        20_000,
        'the claim reconciled by the outbox',
      )
      expect(active?.id).to.equal(claimId)
      expect(active?.native_id).to.equal('kim.lee@example.com')
      const [job, ...more] = await settledReconciliations(started)
      expect(more).to.have.length(0)
      expect(job?.resource).to.equal(`User:${claimId}`)
      expect(job?.state).to.equal('done')

      // Linked: a create for the same userName is now a conflict (linked-service `exists`).
      const client = scimClient({ baseUrl: fresh.scimUrl, token })
      expectScimError(
        await client.post('/Users', newUser('Kim.Lee@example.com')),
        409,
        'uniqueness',
      )
      const found = objectOf(
        await client.get(
          `/Users?filter=${encodeURIComponent('userName eq "Kim.Lee@example.com"')}`,
        ),
      )
      expect(found.totalResults).to.equal(1)
      expect((found.Resources as { id: string }[])[0]?.id).to.equal(claimId)

      const state = await simState<TresoritState>(sim)
      expect(state.users.filter((u) => u.email === 'kim.lee@example.com')).to.have.length(1)
      const invites = (await simRequests(sim)).filter(
        (r) => r.method === 'POST' && r.path.endsWith('/users/invite'),
      )
      expect(invites).to.have.length(1)
    })
  })

  describe('a process killed while the product drops the create', () => {
    let scenario: KillScenario | undefined

    before(async function () {
      this.timeout(60_000)
      scenario = await startKillScenario()
    })

    after(async function () {
      this.timeout(30_000)
      await scenario?.close()
    })

    it('releases the claim the product never acted on, and the IdP retry creates the user once', async function () {
      this.timeout(60_000)
      const { sim, started, children } = scenario!
      const { token, claimId } = await killDuringCreate(scenario!, {
        count: 1,
        delayMs: 1500,
        drop: true,
      })

      const fresh = await startChildGateway(started.childEnv)
      children.push(fresh)
      await eventually(
        () => linkRows(started, 'kim.lee@example.com'),
        (rows) => rows.length === 0,
        20_000,
        'the claim released by the outbox',
      )
      const [job, ...more] = await settledReconciliations(started)
      expect(more).to.have.length(0)
      expect(job?.resource).to.equal(`User:${claimId}`)
      expect(job?.state).to.equal('done')
      expect((await simState<TresoritState>(sim)).users).to.have.length(0)

      const client = scimClient({ baseUrl: fresh.scimUrl, token })
      const created = await client.post('/Users', newUser('Kim.Lee@example.com'))
      expect(created.status, JSON.stringify(created.body)).to.equal(201)
      const [linked, ...others] = await linkRows(started, 'kim.lee@example.com')
      expect(others).to.have.length(0)
      expect(linked?.state).to.equal('active')
      expect(linked?.id).to.equal(objectOf(created).id)
      expect(linked?.native_id).to.equal('kim.lee@example.com')

      const state = await simState<TresoritState>(sim)
      expect(state.users.map((u) => u.email)).to.deep.equal(['kim.lee@example.com'])
      const invites = (await simRequests(sim)).filter(
        (r) => r.method === 'POST' && r.path.endsWith('/users/invite'),
      )
      // The dropped invite and the retry's, which the product served.
      expect(invites.map((r) => r.status)).to.deep.equal([null, 201])
    })
  })
})
