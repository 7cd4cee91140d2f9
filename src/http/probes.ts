import type { RequestHandler } from 'express'

export interface ReadinessOptions {
  /** Resolves when the database answers (e.g. `select 1`). */
  ping: () => Promise<void>
  /** Whether a configuration generation is in force. */
  configLoaded: () => boolean
  /** How long the database has to answer; 2 s unless a test says otherwise. */
  timeoutMs?: number
}

export type DatabaseCheck = 'ok' | 'failed' | 'timeout'
export type ConfigurationCheck = 'ok' | 'missing'

export interface Readiness {
  status: 'ok' | 'unavailable'
  checks: { database: DatabaseCheck; configuration: ConfigurationCheck }
}

const DEFAULT_TIMEOUT_MS = 2_000

/** Liveness: answering at all is the proof; it checks nothing else, so it never flaps. */
export function healthz(): RequestHandler {
  return (_req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    res.status(200).json({ status: 'ok' })
  }
}

/** The database check: a hung database is reported as such once the time is up. */
async function checkDatabase(ping: () => Promise<void>, timeoutMs: number): Promise<DatabaseCheck> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<DatabaseCheck>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs)
  })
  try {
    return await Promise.race([
      // Called inside the chain so a ping that throws synchronously counts as failed.
      Promise.resolve()
        .then(ping)
        .then((): DatabaseCheck => 'ok'),
      timeout,
    ])
  } catch {
    // The reason may carry a connection string; the answer only says which check failed.
    return 'failed'
  } finally {
    clearTimeout(timer)
  }
}

function checkConfiguration(configLoaded: () => boolean): ConfigurationCheck {
  try {
    return configLoaded() ? 'ok' : 'missing'
  } catch {
    return 'missing'
  }
}

/** Readiness: 200 while the database answers in time and a configuration is in force. */
export function readyz(options: ReadinessOptions): RequestHandler {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  return (_req, res, next) => {
    checkDatabase(options.ping, timeoutMs)
      .then((database) => {
        const configuration = checkConfiguration(options.configLoaded)
        const ready = database === 'ok' && configuration === 'ok'
        const body: Readiness = {
          status: ready ? 'ok' : 'unavailable',
          checks: { database, configuration },
        }
        res.setHeader('Cache-Control', 'no-store')
        res.status(ready ? 200 : 503).json(body)
      })
      .catch(next)
  }
}
