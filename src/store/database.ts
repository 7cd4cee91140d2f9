import knexFactory, { type Knex } from 'knex'
import { migrationSource } from './migrations/index.ts'

export type DatabaseOptions =
  | { client: 'sqlite'; filename: string }
  | {
      client: 'pg'
      connectionString: string
      /** A PostgreSQL schema to keep the tables in (tests give each suite its own). */
      schema?: string
      pool?: { min: number; max: number }
    }

/** Opens the database (SQLite file in WAL mode, or PostgreSQL) and brings its schema up to date. */
export async function openDatabase(options: DatabaseOptions): Promise<Knex> {
  const db = options.client === 'sqlite' ? openSqlite(options.filename) : openPostgres(options)
  await db.migrate.latest({ migrationSource })
  return db
}

function openSqlite(filename: string): Knex {
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      // WAL lets readers in other processes (CLI token commands) work beside the server;
      // busy_timeout makes a writer wait for a lock instead of failing at once.
      afterCreate: (conn: { pragma: (sql: string) => unknown }, done: (err?: Error) => void) => {
        conn.pragma('journal_mode = WAL')
        conn.pragma('synchronous = NORMAL')
        conn.pragma('busy_timeout = 5000')
        done()
      },
    },
  })
}

function openPostgres(options: Extract<DatabaseOptions, { client: 'pg' }>) {
  return knexFactory({
    client: 'pg',
    connection: options.connectionString,
    ...(options.schema ? { searchPath: [options.schema] } : {}),
    pool: options.pool ?? { min: 0, max: 10 },
  })
}

/** True when a write failed on a unique index, on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const code = (err as { code?: unknown }).code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505'
}
