import Database from 'better-sqlite3'
import type { Knex } from 'knex'
import type { DatabaseOptions } from './database.ts'

/** Runs a read-only query built with knex and returns its rows. */
export type ReadRunner = (query: Knex.QueryBuilder) => Promise<unknown[]>

/** Runs SQL built once (`?` placeholders) through knex itself, on either engine. */
export function rawReader(db: Knex) {
  return async (sql: string, bindings: readonly unknown[]): Promise<unknown[]> => {
    const result: unknown = await db.raw(sql, [...bindings] as Knex.RawBinding[])
    return Array.isArray(result) ? (result as unknown[]) : (result as { rows: unknown[] }).rows
  }
}

/** Runs a knex query as it is. */
export const knexReader: ReadRunner = async (query) => (await query) as unknown[]

export interface ReadConnection {
  read: ReadRunner
  /** Runs SQL built once (with `?` placeholders) against new values. */
  readSql: (sql: string, bindings: readonly unknown[]) => Promise<unknown[]>
  close(): void
}

const MAX_STATEMENTS = 256

/**
 * Reads on the request path. knex prepares every statement anew, which costs a third of a
 * SQLite lookup; on SQLite, reads therefore go through a second, read-only connection that
 * keeps its prepared statements (WAL lets it read beside the writer, and it sees every
 * committed write). The SQL is still built by knex, so both engines run the same queries.
 * PostgreSQL reads go through knex as they are.
 */
export function openReadConnection(options: DatabaseOptions, db: Knex): ReadConnection {
  if (options.client !== 'sqlite') {
    return { read: knexReader, readSql: rawReader(db), close: () => undefined }
  }
  const connection = new Database(options.filename, { readonly: true, fileMustExist: true })
  connection.pragma('busy_timeout = 5000')
  const statements = new Map<string, Database.Statement>()
  const readSql = (sql: string, bindings: readonly unknown[]) => {
    let statement = statements.get(sql)
    if (!statement) {
      if (statements.size >= MAX_STATEMENTS) statements.clear()
      statement = connection.prepare(sql)
      statements.set(sql, statement)
    }
    // SQLite has no booleans; knex binds them as 1 and 0, and so do we.
    const values = bindings.map((b) => (typeof b === 'boolean' ? Number(b) : b))
    return Promise.resolve(statement.all(...values))
  }
  return {
    read: (query) => {
      const { sql, bindings } = query.toSQL().toNative()
      return readSql(sql, bindings)
    },
    readSql,
    close: () => connection.close(),
  }
}
