import type { Knex } from 'knex'

/**
 * A user's groups are read by member: this index serves that lookup in its own order, so the
 * planner never walks the primary key (every membership of the connection) to find them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('group_members', (t) => {
    t.dropIndex(['connection_key', 'member_id'], 'group_members_member')
    t.index(['connection_key', 'member_id', 'group_id'], 'group_members_by_member')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('group_members', (t) => {
    t.dropIndex(['connection_key', 'member_id', 'group_id'], 'group_members_by_member')
    t.index(['connection_key', 'member_id'], 'group_members_member')
  })
}
