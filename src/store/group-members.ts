import type { Knex } from 'knex'
import type { ResourceType } from '../scim/types.ts'
import { knexReader, rawReader, type ReadRunner } from './read-runner.ts'

/** A member row: large groups are rows, never a JSON array rewritten on every change. */
export interface Member {
  groupId: string
  memberId: string
  memberType: ResourceType
  /** The display name of the other side (member for membersOf, group for groupsOf). */
  display: string | null
}

interface MemberRecord {
  connection_key: string
  group_id: string
  member_id: string
  member_type: string
}

// Keeps every statement under SQLite's bound-parameter limit.
const CHUNK = 400

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK))
  return out
}

interface JoinedRecord extends MemberRecord {
  display_name: string | null
  user_name: string | null
}

const toMember = (r: JoinedRecord): Member => ({
  groupId: r.group_id,
  memberId: r.member_id,
  memberType: r.member_type as ResourceType,
  display: r.display_name ?? r.user_name,
})

export type GroupMemberStore = ReturnType<typeof createGroupMemberStore>

/**
 * @param read runs reads outside transactions (see read-runner.ts); defaults to knex itself.
 */
export function createGroupMemberStore(
  db: Knex,
  read: ReadRunner = knexReader,
  readSql: (sql: string, bindings: readonly unknown[]) => Promise<unknown[]> = rawReader(db),
) {
  const table = (trx: Knex | Knex.Transaction, connectionKey: string) =>
    trx<MemberRecord>('group_members').where({ connection_key: connectionKey })

  /** Member rows joined to the link on one side, for its display name, through the id index. */
  const joined = (trx: Knex | Knex.Transaction, connectionKey: string, side: 'member' | 'group') =>
    trx('group_members as gm')
      .leftJoin('links as l', (on) => {
        on.on('l.connection_key', '=', 'gm.connection_key')
        if (side === 'member')
          on.andOn('l.resource_type', '=', 'gm.member_type').andOn('l.id', '=', 'gm.member_id')
        else on.andOnVal('l.resource_type', '=', 'Group').andOn('l.id', '=', 'gm.group_id')
      })
      .where('gm.connection_key', connectionKey)
      .select('gm.*', 'l.display_name', 'l.user_name')

  /** The query behind `groupsOf`, unexecuted: tests read its plan. */
  const groupsOfQuery = (connectionKey: string, memberIds: readonly string[]) =>
    joined(db, connectionKey, 'group')
      .whereIn('gm.member_id', memberIds)
      .orderBy(['gm.member_id', 'gm.group_id'])

  // A user's groups are read on every GET of a user: that query's SQL is built once per
  // number of users asked about, with marker values swapped for the real ones at run time.
  const CONNECTION = '\u0000connection'
  const MEMBER = '\u0000member:'
  const groupsSql = new Map<number, { sql: string; bindings: readonly unknown[] }>()
  function groupsStatement(connectionKey: string, memberIds: readonly string[]) {
    let shape = groupsSql.get(memberIds.length)
    if (!shape) {
      const markers = memberIds.map((_, i) => `${MEMBER}${i}`)
      shape = groupsOfQuery(CONNECTION, markers).toSQL()
      groupsSql.set(memberIds.length, shape)
    }
    const bindings = shape.bindings.map((b) =>
      b === CONNECTION
        ? connectionKey
        : typeof b === 'string' && b.startsWith(MEMBER)
          ? memberIds[Number(b.slice(MEMBER.length))]
          : b,
    )
    return { sql: shape.sql, bindings }
  }

  return {
    groupsOfQuery,

    /** Adds members; ones already present are left as they are (adding twice is harmless). */
    async add(
      connectionKey: string,
      groupId: string,
      members: readonly { id: string; type: ResourceType }[],
      trx: Knex | Knex.Transaction,
    ): Promise<void> {
      for (const part of chunks(members)) {
        await trx('group_members')
          .insert(
            part.map((m) => ({
              connection_key: connectionKey,
              group_id: groupId,
              member_id: m.id,
              member_type: m.type,
            })),
          )
          .onConflict(['connection_key', 'group_id', 'member_id'])
          .ignore()
      }
    },

    async remove(
      connectionKey: string,
      groupId: string,
      memberIds: readonly string[],
      trx: Knex | Knex.Transaction,
    ): Promise<void> {
      for (const part of chunks(memberIds)) {
        await table(trx, connectionKey)
          .andWhere({ group_id: groupId })
          .whereIn('member_id', part)
          .delete()
      }
    },

    async removeAll(connectionKey: string, groupId: string, trx: Knex | Knex.Transaction) {
      await table(trx, connectionKey).andWhere({ group_id: groupId }).delete()
    },

    /** Drops a deleted resource from every group it was in. */
    async removeMemberEverywhere(
      connectionKey: string,
      memberId: string,
      trx: Knex | Knex.Transaction,
    ) {
      await table(trx, connectionKey).andWhere({ member_id: memberId }).delete()
    },

    async membersOf(
      connectionKey: string,
      groupIds: readonly string[],
      trx: Knex | Knex.Transaction = db,
    ): Promise<Member[]> {
      const out: Member[] = []
      for (const part of chunks(groupIds)) {
        const query = joined(trx, connectionKey, 'member')
          .whereIn('gm.group_id', part)
          .orderBy(['gm.group_id', 'gm.member_id'])
        const rows = (trx === db ? await read(query) : await query) as JoinedRecord[]
        out.push(...rows.map(toMember))
      }
      return out
    },

    /** Groups that list any of `memberIds` directly (no cascade through nested groups). */
    async groupsOf(connectionKey: string, memberIds: readonly string[]): Promise<Member[]> {
      const out: Member[] = []
      for (const part of chunks(memberIds)) {
        const { sql, bindings } = groupsStatement(connectionKey, part)
        const rows = (await readSql(sql, bindings)) as JoinedRecord[]
        out.push(...rows.map(toMember))
      }
      return out
    },
  }
}
