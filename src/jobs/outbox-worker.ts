import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import { PermanentJobError, type ConnectionJobs } from '../connectors/connection-jobs.ts'
import type { UpstreamCall } from '../connectors/upstream-client.ts'
import { UpstreamFailure } from '../connectors/upstream-errors.ts'
import type { EventStore } from '../store/events.ts'
import type { Job, OutboxStore } from '../store/outbox.ts'

export interface OutboxWorkerOptions {
  store: OutboxStore
  /** The jobs of a connection in the configuration in force; undefined when it is gone. */
  jobsFor: (connectionKey: string) => ConnectionJobs | undefined
  events: EventStore
  log: Logger
  now: () => Date
  pollMs?: number
  /** How long a taken job is this worker's; a worker that dies loses it after this. */
  leaseMs?: number
  concurrency?: number
  maxAttempts?: number
  /** Periodic work (sweeps, checks) run every this often by each worker. */
  periodicMs?: number
  periodic?: () => Promise<void>
}

const MAX_BACKOFF_MS = 5 * 60_000

/** Exponential backoff with jitter, in milliseconds, after the `attempts`-th failure. */
function backoff(attempts: number): number {
  const base = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.max(0, attempts - 1))
  return Math.round(base * (0.75 + Math.random() / 2))
}

/**
 * The outbox worker, one per gateway process. It takes due jobs under a lease, runs them
 * through their connection (within its rate budget), retries with backoff honouring
 * Retry-After, and moves a job that keeps failing to `dead` with its reason.
 */
export function createOutboxWorker(options: OutboxWorkerOptions) {
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  const pollMs = options.pollMs ?? 500
  const leaseMs = options.leaseMs ?? 60_000
  const concurrency = options.concurrency ?? 4
  const maxAttempts = options.maxAttempts ?? 10
  const running = new Map<number, Promise<void>>()
  let timer: NodeJS.Timeout | undefined
  let periodicTimer: NodeJS.Timeout | undefined
  let stopping = false
  const iso = (ms = 0) => new Date(options.now().getTime() + ms).toISOString()

  function record(
    job: Job,
    outcome: string,
    calls: UpstreamCall[],
    started: number,
    detail?: string,
  ) {
    const [tenant = null, connection = null] = job.connectionKey.split('/')
    options.events.record({
      at: iso(),
      requestId: job.requestId,
      tenant,
      connection,
      dialect: null,
      method: 'JOB',
      resourceType: null,
      resourceId: String(job.id),
      subject: `${job.kind} ${job.resource}`,
      outcome,
      status: outcome === 'dead' ? 500 : outcome === 'retrying' ? 503 : 200,
      detail: detail ?? null,
      ignored: [],
      upstream: calls,
      retries: job.attempts - 1,
      durationMs: options.now().getTime() - started,
    })
  }

  async function runJob(job: Job): Promise<void> {
    const started = options.now().getTime()
    const calls: UpstreamCall[] = []
    const jobs = options.jobsFor(job.connectionKey)
    if (!jobs) {
      const reason = `connection ${job.connectionKey} is no longer configured`
      await options.store.finish(job, 'dead', iso(), reason)
      record(job, 'dead', calls, started, reason)
      return
    }
    try {
      const result = await jobs.run(job.kind, job.payload, calls)
      // The outcome's note goes to the provisioning log; last_error is for failures only.
      await options.store.finish(job, 'done', iso())
      record(job, result.outcome, calls, started, result.note)
    } catch (err) {
      let reason = err instanceof Error ? err.message : String(err)
      let retryInMs = backoff(job.attempts)
      let permanent = err instanceof PermanentJobError
      if (err instanceof UpstreamFailure) {
        reason = err.scimError.detail
        const retryAfter = err.scimError.headers['Retry-After']
        if (retryAfter) retryInMs = Math.max(retryInMs, Number(retryAfter) * 1000)
        // A product's definite refusal of the request itself will not change by retrying;
        // rate limits, quarantine and a refused credential (fixable by an operator) will.
        const status = err.scimError.status
        permanent =
          err.definite && !err.misconfigured && status >= 400 && status < 500 && status !== 429
      }
      // Held back by the gateway itself — its rate budget, or the connection's quarantine —
      // the product never saw the job: that is no attempt, and no reason to give up on it
      // (an outage of any length leaves the backlog waiting, not dead).
      const heldBack =
        calls.length > 0 &&
        calls.every((c) => c.status === 'over-budget' || c.status === 'quarantined')
      if (permanent || (!heldBack && job.attempts >= maxAttempts)) {
        await options.store.finish(job, 'dead', iso(), reason)
        record(job, 'dead', calls, started, reason)
        options.log.warn(
          { job: job.id, kind: job.kind, connection: job.connectionKey, reason },
          'outbox job dead',
        )
      } else {
        await options.store.requeue(job, iso(retryInMs), iso(), reason, !heldBack)
        record(job, 'retrying', calls, started, reason)
      }
    }
  }

  /** Polls in flight: stop() waits for them, or they would start jobs after it returned. */
  const polls = new Set<Promise<void>>()
  function poll(): Promise<void> {
    const taking = takeDue().finally(() => polls.delete(taking))
    polls.add(taking)
    return taking
  }

  async function takeDue(): Promise<void> {
    if (stopping) return
    const free = concurrency - running.size
    if (free <= 0) return
    try {
      const jobs = await options.store.claim(owner, iso(), iso(leaseMs), free)
      for (const job of jobs) {
        const task = runJob(job)
          .catch((err: unknown) =>
            options.log.error({ err, job: job.id }, 'outbox job failed to settle'),
          )
          .finally(() => running.delete(job.id))
        running.set(job.id, task)
      }
    } catch (err) {
      // The database may be away for a while: wait and try again.
      options.log.warn({ err }, 'outbox poll failed; retrying')
    }
  }

  return {
    owner,

    start(): void {
      const tick = () => {
        timer = setTimeout(() => void poll().finally(() => !stopping && tick()), pollMs)
      }
      tick()
      if (options.periodic) {
        const periodic = options.periodic
        periodicTimer = setInterval(
          () =>
            void periodic().catch((err: unknown) =>
              options.log.warn({ err }, 'outbox periodic work failed'),
            ),
          options.periodicMs ?? 60_000,
        )
        periodicTimer.unref()
      }
    },

    /** Takes and runs what is due now, once (tests and the CLI use it). */
    async runOnce(): Promise<void> {
      await poll()
      await Promise.all(running.values())
    },

    /**
     * Stops taking jobs and waits for running ones (bounded); whatever is still running then
     * is released for another worker.
     */
    async stop(waitMs = 10_000): Promise<void> {
      stopping = true
      clearTimeout(timer)
      clearInterval(periodicTimer)
      await Promise.all(polls)
      let waited: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.all(running.values()),
        new Promise((resolve) => (waited = setTimeout(resolve, waitMs))),
      ])
      // An unfinished timer would keep a closing process alive for waitMs.
      clearTimeout(waited)
      for (const id of running.keys()) {
        const job = await options.store.get(id)
        if (job?.state === 'running' && job.leaseOwner === owner)
          await options.store.requeue(job, iso(), iso(), undefined, false)
      }
    },
  }
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>
