import type { Knex } from 'knex'
import { isUniqueViolation } from './database.ts'

export type JobState = 'queued' | 'running' | 'done' | 'dead'

/** A unit of outbound work. The payload never holds a secret. */
export interface Job {
  id: number
  connectionKey: string
  kind: string
  resource: string
  payload: Record<string, unknown>
  state: JobState
  attempts: number
  nextAttemptAt: string
  leaseOwner: string | null
  leaseExpiresAt: string | null
  lastError: string | null
  requestId: string | null
  createdAt: string
  updatedAt: string
}

interface JobRow {
  id: number
  connection_key: string
  kind: string
  resource: string
  payload: string
  state: string
  attempts: number
  next_attempt_at: string
  lease_owner: string | null
  lease_expires_at: string | null
  last_error: string | null
  request_id: string | null
  created_at: string
  updated_at: string
}

const fromRow = (r: JobRow): Job => ({
  id: Number(r.id),
  connectionKey: r.connection_key,
  kind: r.kind,
  resource: r.resource,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  state: r.state as JobState,
  attempts: Number(r.attempts),
  nextAttemptAt: r.next_attempt_at,
  leaseOwner: r.lease_owner,
  leaseExpiresAt: r.lease_expires_at,
  lastError: r.last_error,
  requestId: r.request_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export interface NewJob {
  connectionKey: string
  kind: string
  resource: string
  payload: Record<string, unknown>
  requestId?: string
  /** Queue the job only once for this key (periodic checks across replicas). */
  dedupeKey?: string
  notBefore?: string
}

export interface Backlog {
  connectionKey: string
  queued: number
  running: number
  dead: number
  oldestQueuedAt: string | null
}

export type OutboxStore = ReturnType<typeof createOutboxStore>

/**
 * Whether `id` can name a job at all: ids come from operators (admin API, CLI) as text, and
 * PostgreSQL refuses `NaN`, fractions and numbers beyond its integer column outright.
 */
const isJobId = (id: number) => Number.isSafeInteger(id) && id >= 1 && id <= 2_147_483_647

/**
 * The outbox table. Claiming is one conditional UPDATE per job, so on PostgreSQL and SQLite
 * alike no job is taken by two workers at once; a lease that expires (its worker died) makes
 * the job due again.
 */
export function createOutboxStore(db: Knex) {
  return {
    async enqueue(job: NewJob, now: string): Promise<number | undefined> {
      try {
        const inserted: unknown = await db('outbox')
          .insert({
            connection_key: job.connectionKey,
            kind: job.kind,
            resource: job.resource,
            payload: JSON.stringify(job.payload),
            state: 'queued',
            attempts: 0,
            next_attempt_at: job.notBefore ?? now,
            request_id: job.requestId ?? null,
            dedupe_key: job.dedupeKey ?? null,
            created_at: now,
            updated_at: now,
          })
          .returning('id')
        // SQLite and PostgreSQL answer RETURNING with [{ id }]; older drivers with [id].
        const row: unknown = Array.isArray(inserted) ? inserted[0] : undefined
        return typeof row === 'object' && row !== null
          ? Number((row as { id: unknown }).id)
          : Number(row)
      } catch (err) {
        if (job.dedupeKey && isUniqueViolation(err)) return undefined
        throw err
      }
    },

    /**
     * Queues one job of `kind` per resource, inside the caller's transaction (so the work is
     * never lost if the change that needs it commits). A resource that already has a queued
     * job of this kind gets no second one: each job reads the current state when it runs, and
     * that job cannot start before this transaction ends.
     */
    async enqueueEach(
      jobs: { connectionKey: string; kind: string; requestId?: string },
      resources: readonly { resource: string; payload: Record<string, unknown> }[],
      now: string,
      trx: Knex | Knex.Transaction = db,
    ): Promise<number> {
      let queued = 0
      for (let i = 0; i < resources.length; i += 400) {
        const part = resources.slice(i, i + 400)
        // An UPDATE, not a SELECT: it locks a waiting job's row, so a worker cannot take that job
        // (and read the state before this transaction commits) between this check and commit.
        const touched: Record<string, unknown>[] = await trx('outbox')
          .where({ connection_key: jobs.connectionKey, kind: jobs.kind, state: 'queued' })
          .whereIn(
            'resource',
            part.map((r) => r.resource),
          )
          .update({ updated_at: now }, ['resource'])
        const waiting = new Set(touched.map((r) => String(r.resource)))
        const fresh = part.filter((r) => !waiting.has(r.resource))
        if (fresh.length === 0) continue
        await trx('outbox').insert(
          fresh.map((r) => ({
            connection_key: jobs.connectionKey,
            kind: jobs.kind,
            resource: r.resource,
            payload: JSON.stringify(r.payload),
            state: 'queued',
            attempts: 0,
            next_attempt_at: now,
            request_id: jobs.requestId ?? null,
            created_at: now,
            updated_at: now,
          })),
        )
        queued += fresh.length
      }
      return queued
    },

    /**
     * Takes up to `limit` due jobs for `owner` until `leaseUntil`. A job is due when queued
     * and its time has come, or running under an expired lease; it waits while an earlier
     * job for the same resource is unfinished (per-resource order).
     */
    async claim(owner: string, now: string, leaseUntil: string, limit: number): Promise<Job[]> {
      const candidates = (await db<JobRow>('outbox as o')
        .select('o.*')
        .where((q) => {
          void q
            .where(
              (d) => void d.where('o.state', 'queued').andWhere('o.next_attempt_at', '<=', now),
            )
            .orWhere(
              (r) => void r.where('o.state', 'running').andWhere('o.lease_expires_at', '<', now),
            )
        })
        .whereNotExists((q) => {
          void q
            .select(db.raw('1'))
            .from('outbox as e')
            .whereRaw('e.connection_key = o.connection_key')
            .whereRaw('e.resource = o.resource')
            .whereRaw('e.id < o.id')
            .whereIn('e.state', ['queued', 'running'])
        })
        .orderBy('o.id')
        .limit(limit)) as JobRow[]
      const claimed: Job[] = []
      for (const row of candidates) {
        const changed = await db('outbox')
          .where({ id: row.id, state: row.state, attempts: row.attempts })
          .update({
            state: 'running',
            lease_owner: owner,
            lease_expires_at: leaseUntil,
            attempts: Number(row.attempts) + 1,
            updated_at: now,
          })
        if (changed === 1) {
          claimed.push({
            ...fromRow(row),
            state: 'running',
            leaseOwner: owner,
            leaseExpiresAt: leaseUntil,
            attempts: Number(row.attempts) + 1,
          })
        }
      }
      return claimed
    },

    /** Finishes a job this owner holds; a job whose lease was lost is left to its new owner. */
    async finish(job: Job, state: 'done' | 'dead', now: string, error?: string): Promise<boolean> {
      const changed = await db('outbox')
        .where({ id: job.id, lease_owner: job.leaseOwner, state: 'running' })
        .update({
          state,
          lease_owner: null,
          lease_expires_at: null,
          last_error: error ?? null,
          updated_at: now,
        })
      return changed === 1
    },

    /** Puts a job back to be tried again at `retryAt` (after a failure, or on shutdown). */
    async requeue(
      job: Job,
      retryAt: string,
      now: string,
      error?: string,
      countAttempt = true,
    ): Promise<boolean> {
      const changed = await db('outbox')
        .where({ id: job.id, lease_owner: job.leaseOwner, state: 'running' })
        .update({
          state: 'queued',
          next_attempt_at: retryAt,
          lease_owner: null,
          lease_expires_at: null,
          ...(error !== undefined ? { last_error: error } : {}),
          ...(countAttempt ? {} : { attempts: Math.max(0, job.attempts - 1) }),
          updated_at: now,
        })
      return changed === 1
    },

    async list(filter: { tenant?: string; state?: JobState; limit?: number } = {}): Promise<Job[]> {
      const query = db<JobRow>('outbox')
        .select('*')
        .orderBy('id', 'desc')
        .limit(filter.limit ?? 200)
      if (filter.tenant) {
        // The tenant's connections are the keys from `tenant/` up to `tenant0` ('0' follows '/'):
        // a range, so no text of the caller's ever acts as a pattern.
        query
          .where('connection_key', '>=', `${filter.tenant}/`)
          .andWhere('connection_key', '<', `${filter.tenant}0`)
      }
      if (filter.state) query.where({ state: filter.state })
      return (await query).map(fromRow)
    },

    async get(id: number): Promise<Job | undefined> {
      if (!isJobId(id)) return undefined
      const row: JobRow | undefined = await db<JobRow>('outbox').where({ id }).first()
      return row ? fromRow(row) : undefined
    },

    /** An operator sends a dead job round again, now. */
    async retry(id: number, now: string): Promise<boolean> {
      if (!isJobId(id)) return false
      const changed = await db('outbox').where({ id }).whereIn('state', ['dead', 'queued']).update({
        state: 'queued',
        next_attempt_at: now,
        attempts: 0,
        last_error: null,
        updated_at: now,
      })
      return changed === 1
    },

    /** An operator drops a job that is not running. */
    async drop(id: number): Promise<boolean> {
      if (!isJobId(id)) return false
      return (await db('outbox').where({ id }).whereNot({ state: 'running' }).delete()) === 1
    },

    async backlog(): Promise<Backlog[]> {
      const result: unknown = await db('outbox')
        .select('connection_key', 'state')
        .count({ n: '*' })
        .min({ oldest: 'created_at' })
        .whereIn('state', ['queued', 'running', 'dead'])
        .groupBy('connection_key', 'state')
      const rows = result as {
        connection_key: string
        state: string
        n: number | string
        oldest: string
      }[]
      const byConnection = new Map<string, Backlog>()
      for (const row of rows) {
        const entry = byConnection.get(row.connection_key) ?? {
          connectionKey: row.connection_key,
          queued: 0,
          running: 0,
          dead: 0,
          oldestQueuedAt: null,
        }
        const n = Number(row.n)
        if (row.state === 'queued') {
          entry.queued = n
          entry.oldestQueuedAt = row.oldest
        } else if (row.state === 'running') entry.running = n
        else entry.dead = n
        byConnection.set(row.connection_key, entry)
      }
      return [...byConnection.values()]
    },
  }
}
