import type { Knex } from 'knex'
import type { ResourceType, ScimResource } from '../scim/types.ts'
import { knexReader, rawReader, type ReadRunner } from './read-runner.ts'

export type LinkState = 'pending' | 'active' | 'tombstoned'

/**
 * The gateway's record of a provisioned resource: SCIM id ↔ native id, the indexed keys,
 * and the SCIM view (what the IdP last set, minus `id`, `meta`, members and `password`).
 */
export interface Link {
  connectionKey: string
  resourceType: ResourceType
  id: string
  nativeId: string | null
  userName: string | null
  externalId: string | null
  displayName: string | null
  active: boolean | null
  state: LinkState
  scim: ScimResource
  version: number
  createdAt: string
  updatedAt: string
}

export interface LinkRecord {
  seq: number
  connection_key: string
  resource_type: string
  id: string
  native_id: string | null
  user_name: string | null
  user_name_lower: string | null
  external_id: string | null
  display_name: string | null
  display_name_lower: string | null
  active: boolean | number | null
  state: string
  scim: string
  version: number
  created_at: string
  updated_at: string
}

/** A condition added to a links query (compiled from a SCIM filter, or a key lookup). */
export type LinkCondition = (query: Knex.QueryBuilder) => void

export interface LinkQuery {
  where?: LinkCondition
  orderBy?: { column: string; direction: 'asc' | 'desc' }
  limit?: number
  offset?: number
}

/** Columns a SCIM sortBy may use directly; everything else is sorted in memory. */
export const sortableColumns: Readonly<Record<string, string>> = {
  id: 'id',
  userName: 'user_name_lower',
  externalId: 'external_id',
  displayName: 'display_name_lower',
  'meta.created': 'seq',
}

/**
 * Sort columns a row may have no value in. RFC 7644 §3.4.2.3 orders those last if ascending
 * and first if descending; SQLite would put NULLs first when ascending, so it is spelled out.
 */
const NULLABLE_SORT_COLUMNS: ReadonlySet<string> = new Set(['external_id', 'display_name_lower'])

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null)

export function toRecordKeys(
  link: Pick<Link, 'userName' | 'externalId' | 'displayName' | 'active'>,
) {
  return {
    user_name: link.userName,
    user_name_lower: link.userName?.toLowerCase() ?? null,
    external_id: link.externalId,
    display_name: link.displayName,
    display_name_lower: link.displayName?.toLowerCase() ?? null,
    active: link.active,
  }
}

/** The indexed keys of a SCIM view, so reads never have to parse JSON to find a row. */
export function keysOf(
  scim: ScimResource,
): Pick<Link, 'userName' | 'externalId' | 'displayName' | 'active'> {
  return {
    userName: stringOrNull(scim.userName),
    externalId: stringOrNull(scim.externalId),
    displayName: stringOrNull(scim.displayName),
    active: typeof scim.active === 'boolean' ? scim.active : null,
  }
}

/** A link not yet stored: version 1, created now, its keys read from the view. */
export function newLink(
  fields: Pick<Link, 'connectionKey' | 'resourceType' | 'id' | 'nativeId' | 'state' | 'scim'>,
  at: string,
): Link {
  return { ...fields, ...keysOf(fields.scim), version: 1, createdAt: at, updatedAt: at }
}

/** The row a new link is inserted as. */
export function toInsertRow(link: Link): Omit<LinkRecord, 'seq'> {
  return {
    connection_key: link.connectionKey,
    resource_type: link.resourceType,
    id: link.id,
    native_id: link.nativeId,
    ...toRecordKeys(link),
    state: link.state,
    scim: JSON.stringify(link.scim),
    version: link.version,
    created_at: link.createdAt,
    updated_at: link.updatedAt,
  }
}

export function fromRecord(record: LinkRecord): Link {
  return {
    connectionKey: record.connection_key,
    resourceType: record.resource_type as ResourceType,
    id: record.id,
    nativeId: record.native_id,
    userName: record.user_name,
    externalId: record.external_id,
    displayName: record.display_name,
    active: record.active === null ? null : Boolean(record.active),
    state: record.state as LinkState,
    scim: JSON.parse(record.scim) as ScimResource,
    version: Number(record.version),
    createdAt: record.created_at,
    updatedAt: record.updated_at,
  }
}

export type LinkStore = ReturnType<typeof createLinkStore>

/**
 * @param read runs reads outside transactions (see read-runner.ts); defaults to knex itself.
 */
export function createLinkStore(
  db: Knex,
  read: ReadRunner = knexReader,
  readSql: (sql: string, bindings: readonly unknown[]) => Promise<unknown[]> = rawReader(db),
) {
  const scoped = (trx: Knex | Knex.Transaction, connectionKey: string, type: ResourceType) =>
    trx<LinkRecord>('links').where({ connection_key: connectionKey, resource_type: type })
  // Reads see live links only. The condition is spelled as in the partial unique indexes, so
  // the planner can use them for userName and group-name lookups.
  const live = (trx: Knex | Knex.Transaction, connectionKey: string, type: ResourceType) =>
    scoped(trx, connectionKey, type).andWhereRaw(`state <> 'tombstoned'`)

  // SQL of the key lookups, built once per column; only values change between requests.
  const lookupSql = new Map<string, string>()
  function lookupStatement(column: string): string {
    let sql = lookupSql.get(column)
    if (!sql) {
      sql = listQuery('?', 'User', { where: (q) => void q.where(column, '?'), limit: 1 }).toSQL()
        .sql
      lookupSql.set(column, sql)
    }
    return sql
  }

  function listQuery(connectionKey: string, type: ResourceType, query: LinkQuery) {
    const builder = live(db, connectionKey, type).select('*')
    if (query.where) builder.andWhere(query.where)
    if (query.orderBy) {
      const { column, direction } = query.orderBy
      if (NULLABLE_SORT_COLUMNS.has(column))
        builder.orderByRaw(`(?? is null) ${direction === 'desc' ? 'desc' : 'asc'}`, [column])
      builder.orderBy(column, direction)
    }
    builder.orderBy('seq', 'asc')
    if (query.limit !== undefined) builder.limit(query.limit)
    if (query.offset) builder.offset(query.offset)
    return builder
  }

  return {
    /** Inserts a link; a duplicate live userName (or group name) fails on a unique index. */
    async insert(link: Link, trx: Knex | Knex.Transaction = db): Promise<Link> {
      await trx('links').insert(toInsertRow(link))
      return link
    },

    async findById(
      connectionKey: string,
      type: ResourceType,
      id: string,
      trx: Knex | Knex.Transaction = db,
    ): Promise<Link | undefined> {
      const query = live(trx, connectionKey, type).andWhere({ id }).limit(1)
      const [record] = (trx === db ? await read(query) : await query) as LinkRecord[]
      return record ? fromRecord(record) : undefined
    },

    /** Ids among `ids` that exist in this connection, with their resource type. */
    async findTypes(
      connectionKey: string,
      ids: readonly string[],
      trx: Knex | Knex.Transaction = db,
    ): Promise<Map<string, ResourceType>> {
      const found = new Map<string, ResourceType>()
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await trx<LinkRecord>('links')
          .select('id', 'resource_type')
          .where({ connection_key: connectionKey })
          // Naming both types lets the (connection, type, id) index serve the lookup.
          .whereIn('resource_type', ['User', 'Group'])
          .whereIn('id', ids.slice(i, i + 500))
          .andWhereRaw(`state <> 'tombstoned'`)
        for (const row of rows) found.set(row.id, row.resource_type as ResourceType)
      }
      return found
    },

    /**
     * Writes a new SCIM view if the stored version is still `expectedVersion` (optimistic
     * concurrency); returns the updated link, or undefined when someone else wrote first.
     */
    async updateView(
      link: Link,
      scim: ScimResource,
      now: string,
      trx: Knex | Knex.Transaction = db,
    ): Promise<Link | undefined> {
      const keys = keysOf(scim)
      const version = link.version + 1
      const changed = await scoped(trx, link.connectionKey, link.resourceType)
        .andWhere({ id: link.id, version: link.version })
        .update({ ...toRecordKeys(keys), scim: JSON.stringify(scim), version, updated_at: now })
      if (changed === 0) return undefined
      return { ...link, ...keys, scim, version, updatedAt: now }
    },

    /**
     * Bumps the version (a group's members changed) so ETags move, under the same optimistic
     * check as `updateView`: undefined when someone else wrote first, so an If-Match holds.
     */
    async touch(
      link: Link,
      now: string,
      trx: Knex | Knex.Transaction = db,
    ): Promise<Link | undefined> {
      const version = link.version + 1
      const changed = await scoped(trx, link.connectionKey, link.resourceType)
        .andWhere({ id: link.id, version: link.version })
        .update({ version, updated_at: now })
      if (changed === 0) return undefined
      return { ...link, version, updatedAt: now }
    },

    async remove(
      connectionKey: string,
      type: ResourceType,
      id: string,
      trx: Knex | Knex.Transaction = db,
    ): Promise<boolean> {
      return (await scoped(trx, connectionKey, type).andWhere({ id }).delete()) > 0
    },

    /** The query `list` runs, unexecuted: tests read its plan. */
    listQuery,

    /**
     * Links whose indexed key `column` (from filter-sql's allow-list) equals `value`, in
     * creation order: the lookup behind `filter=userName eq "…"`, without building SQL.
     */
    async lookup(
      connectionKey: string,
      type: ResourceType,
      column: string,
      value: string,
      limit: number,
    ): Promise<Link[]> {
      const rows = (await readSql(lookupStatement(column), [
        connectionKey,
        type,
        value,
        limit,
      ])) as LinkRecord[]
      return rows.map(fromRecord)
    },

    async list(connectionKey: string, type: ResourceType, query: LinkQuery): Promise<Link[]> {
      return ((await read(listQuery(connectionKey, type, query))) as LinkRecord[]).map(fromRecord)
    },

    async count(connectionKey: string, type: ResourceType, where?: LinkCondition): Promise<number> {
      const builder = live(db, connectionKey, type).count({ n: '*' })
      if (where) builder.andWhere(where)
      const [row] = (await read(builder)) as { n: number | string }[]
      return Number(row?.n ?? 0)
    },
  }
}
