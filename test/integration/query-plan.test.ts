import { randomUUID } from 'node:crypto'
import { expect } from 'chai'
import type { Knex } from 'knex'
import { parseFilter } from '../../src/scim/filter.ts'
import type { JsonObject, ResourceType } from '../../src/scim/types.ts'
import { compileFilter } from '../../src/store/filter-sql.ts'
import { createGroupMemberStore } from '../../src/store/group-members.ts'
import { createLinkStore, keysOf, type Link } from '../../src/store/links.ts'
import { startGateway, usePostgres, type StartedGateway } from '../helpers/start-gateway.ts'

/**
 * Equality on id, userName, externalId and displayName is answered from an index, never by
 * scanning every row: shown by the database's own query plan for the query the store runs.
 */
describe('indexed lookups (query plan)', () => {
  let started: StartedGateway
  let db: Knex
  const key = 'demo/directory'

  before(async function () {
    this.timeout(60_000)
    started = await startGateway()
    db = started.gateway.db
    const at = new Date().toISOString()
    const rows: Link[] = []
    for (let i = 0; i < 2_000; i++) {
      const type: ResourceType = i % 4 === 0 ? 'Group' : 'User'
      const scim: JsonObject =
        type === 'User'
          ? { userName: `user${i}@example.com`, externalId: `ext-${i}`, displayName: `User ${i}` }
          : { displayName: `Group ${i}`, externalId: `ext-${i}` }
      rows.push({
        connectionKey: key,
        resourceType: type,
        id: randomUUID(),
        nativeId: null,
        ...keysOf(scim),
        state: 'active',
        scim,
        version: 1,
        createdAt: at,
        updatedAt: at,
      })
    }
    const links = createLinkStore(db)
    await db.transaction(async (trx) => {
      for (const row of rows) await links.insert(row, trx)
    })
    if (usePostgres) await db.raw('ANALYZE links')
  })
  after(() => started.close())

  /** The database's own plan for the query the store runs. */
  async function explain(query: Knex.QueryBuilder): Promise<string> {
    const { sql, bindings } = query.toSQL()
    if (usePostgres) {
      const result = await db.raw<{ rows: { 'QUERY PLAN': string }[] }>(`EXPLAIN ${sql}`, bindings)
      return result.rows.map((r) => r['QUERY PLAN']).join('\n')
    }
    const rows = await db.raw<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${sql}`, bindings)
    return rows.map((r) => r.detail).join('\n')
  }

  function planOf(type: ResourceType, filter: string): Promise<string> {
    const compiled = compileFilter(type, parseFilter(type, filter))
    expect(compiled.exact, filter).to.equal(true)
    return explain(
      createLinkStore(db).listQuery(key, type, {
        ...(compiled.condition ? { where: compiled.condition } : {}),
        limit: 100,
      }),
    )
  }

  const cases: [ResourceType, string, string][] = [
    ['User', 'userName eq "USER5@example.com"', 'links_live_user_name'],
    ['User', 'id eq "00000000-0000-0000-0000-000000000000"', 'links_id'],
    ['User', 'externalId eq "ext-5"', 'links_external_id'],
    ['Group', 'displayName eq "group 4"', 'links_'],
    ['User', 'userName eq "a@b.c" or externalId eq "x"', 'links_'],
  ]
  for (const [type, filter, index] of cases) {
    it(`uses an index for ${type} ${filter}`, async () => {
      const plan = await planOf(type, filter)
      expect(plan, plan).to.include(index)
      expect(plan, plan).to.not.match(usePostgres ? /Seq Scan on links/ : /^SCAN links\b/m)
    })
  }

  it("reads a user's groups through the member index, never walking every membership", async () => {
    const plan = await explain(
      createGroupMemberStore(db).groupsOfQuery(key, ['00000000-0000-0000-0000-000000000000']),
    )
    expect(plan, plan).to.include('group_members_by_member')
  })

  it('scans when the filter cannot use an index (the control case)', async () => {
    const query = createLinkStore(db).listQuery(key, 'User', {
      where: (q) => void q.where('scim', 'like', '%x%'),
    })
    const plan = await explain(query)
    // The connection/type index still narrows, but no key index applies.
    expect(plan).to.not.include('links_live_user_name')
    expect(plan).to.not.include('links_external_id')
  })
})
