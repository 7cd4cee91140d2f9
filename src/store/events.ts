import type { Knex } from 'knex'

/** One provisioning operation as the operator sees it. Never holds a secret. */
export interface ProvisioningEvent {
  at: string
  requestId: string | null
  tenant: string | null
  connection: string | null
  dialect: string | null
  method: string
  resourceType: string | null
  resourceId: string | null
  /** userName or displayName, for finding an event by who it was about. */
  subject: string | null
  outcome: string
  status: number
  detail: string | null
  ignored: { attribute: string; rule: string }[]
  upstream: { method: string; path: string; status: number | string; ms: number; attempt: number }[]
  retries: number
  durationMs: number
}

interface EventRow {
  seq: number
  at: string
  request_id: string | null
  tenant: string | null
  connection: string | null
  dialect: string | null
  method: string
  resource_type: string | null
  resource_id: string | null
  subject: string | null
  outcome: string
  status: number
  detail: string | null
  ignored: string | null
  upstream: string | null
  retries: number
  duration_ms: number
}

const toRow = (e: ProvisioningEvent) => ({
  at: e.at,
  request_id: e.requestId,
  tenant: e.tenant,
  connection: e.connection,
  dialect: e.dialect,
  method: e.method,
  resource_type: e.resourceType,
  resource_id: e.resourceId,
  subject: e.subject?.slice(0, 512) ?? null,
  // Bounded like the column, so one long value can never fail a batch of events.
  outcome: e.outcome.slice(0, 32),
  status: e.status,
  detail: e.detail?.slice(0, 2000) ?? null,
  ignored: e.ignored.length > 0 ? JSON.stringify(e.ignored) : null,
  upstream: e.upstream.length > 0 ? JSON.stringify(e.upstream) : null,
  retries: e.retries,
  duration_ms: e.durationMs,
})

const fromRow = (r: EventRow): ProvisioningEvent & { seq: number } => ({
  seq: Number(r.seq),
  at: r.at,
  requestId: r.request_id,
  tenant: r.tenant,
  connection: r.connection,
  dialect: r.dialect,
  method: r.method,
  resourceType: r.resource_type,
  resourceId: r.resource_id,
  subject: r.subject,
  outcome: r.outcome,
  status: Number(r.status),
  detail: r.detail,
  ignored: r.ignored ? (JSON.parse(r.ignored) as ProvisioningEvent['ignored']) : [],
  upstream: r.upstream ? (JSON.parse(r.upstream) as ProvisioningEvent['upstream']) : [],
  retries: Number(r.retries),
  durationMs: Number(r.duration_ms),
})

export interface EventQuery {
  tenant: string
  connection?: string
  outcome?: string
  resourceType?: string
  /** Part of the userName or displayName the event was about (matched literally). */
  subject?: string
  /** Only events at or after this time (ISO). */
  since?: string
  /** Only failures (status 400 and above), or only successes. */
  failed?: boolean
  limit: number
  /** Events older than this sequence number (paging backwards in time). */
  before?: number
}

/** Operations and failures of one connection since a time. */
export interface ConnectionActivity {
  tenant: string
  connection: string
  total: number
  errors: number
}

/**
 * The provisioning log. Writes are queued and flushed in one transaction every
 * `flushMs`, so logging never adds a write to the request path.
 */
export function createEventStore(db: Knex, options: { flushMs?: number } = {}) {
  let queue: ProvisioningEvent[] = []
  let flushing: Promise<void> | undefined
  const flushMs = options.flushMs ?? 250

  async function flush(): Promise<void> {
    if (flushing) await flushing
    if (queue.length === 0) return
    const batch = queue
    queue = []
    flushing = db
      .batchInsert('events', batch.map(toRow), 200)
      .then(() => undefined)
      .finally(() => (flushing = undefined))
    await flushing
  }

  const timer = setInterval(() => void flush().catch(() => undefined), flushMs)
  timer.unref()

  return {
    record(event: ProvisioningEvent): void {
      queue.push(event)
    },

    flush,

    async list(query: EventQuery): Promise<(ProvisioningEvent & { seq: number })[]> {
      await flush()
      const builder = db<EventRow>('events')
        .where({ tenant: query.tenant })
        .orderBy('seq', 'desc')
        .limit(query.limit)
      if (query.connection) builder.andWhere({ connection: query.connection })
      if (query.outcome) builder.andWhere({ outcome: query.outcome })
      if (query.resourceType) builder.andWhere({ resource_type: query.resourceType })
      if (query.since) builder.andWhere('at', '>=', query.since)
      if (query.failed === true) builder.andWhere('status', '>=', 400)
      if (query.failed === false) builder.andWhere('status', '<', 400)
      if (query.subject) {
        // The search text is a literal: LIKE's wildcards in it are escaped.
        const literal = query.subject.slice(0, 200).replace(/[\\%_]/g, (c) => `\\${c}`)
        builder.andWhereRaw(`lower(subject) like ? escape '\\'`, [`%${literal.toLowerCase()}%`])
      }
      if (query.before !== undefined) builder.andWhere('seq', '<', query.before)
      return (await builder).map(fromRow)
    },

    /** Per connection: operations and failures (status 400 and above) since `since`. */
    async activity(since: string): Promise<ConnectionActivity[]> {
      await flush()
      const rows: unknown = await db('events')
        .select('tenant', 'connection')
        .count({ total: '*' })
        .sum({ errors: db.raw('case when status >= 400 then 1 else 0 end') })
        .where('at', '>=', since)
        .groupBy('tenant', 'connection')
      return (
        rows as {
          tenant: string
          connection: string
          total: number | string
          errors: number | string | null
        }[]
      ).map((r) => ({
        tenant: r.tenant,
        connection: r.connection,
        total: Number(r.total),
        errors: Number(r.errors ?? 0),
      }))
    },

    /** Per hour (`YYYY-MM-DDTHH`) since `since`: operations and failures of one connection. */
    async hourly(
      tenant: string,
      connection: string,
      since: string,
    ): Promise<{ hour: string; total: number; errors: number }[]> {
      await flush()
      const rows: unknown = await db('events')
        .select(db.raw('substr(at, 1, 13) as hour'))
        .count({ total: '*' })
        .sum({ errors: db.raw('case when status >= 400 then 1 else 0 end') })
        .where({ tenant, connection })
        .andWhere('at', '>=', since)
        .groupByRaw('substr(at, 1, 13)')
        .orderBy('hour')
      return (
        rows as { hour: string; total: number | string; errors: number | string | null }[]
      ).map((r) => ({
        hour: r.hour,
        total: Number(r.total),
        errors: Number(r.errors ?? 0),
      }))
    },

    /** Deletes events older than `before` (bounded retention). */
    async prune(before: string): Promise<number> {
      return db('events').where('at', '<', before).delete()
    },

    async close(): Promise<void> {
      clearInterval(timer)
      await flush()
    },
  }
}

export type EventStore = ReturnType<typeof createEventStore>
