import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('links', (t) => {
    t.increments('seq').primary()
    t.string('connection_key', 200).notNullable()
    t.string('resource_type', 16).notNullable()
    t.string('id', 64).notNullable()
    t.string('native_id', 255)
    t.string('user_name', 512)
    t.string('user_name_lower', 512)
    t.string('external_id', 512)
    t.string('display_name', 512)
    t.string('display_name_lower', 512)
    t.boolean('active')
    t.string('state', 16).notNullable()
    t.text('scim').notNullable()
    t.integer('version').notNullable()
    t.string('created_at', 32).notNullable()
    t.string('updated_at', 32).notNullable()
    t.unique(['connection_key', 'resource_type', 'id'], { indexName: 'links_id' })
    t.index(['connection_key', 'resource_type', 'seq'], 'links_seq')
    t.index(['connection_key', 'resource_type', 'external_id'], 'links_external_id')
    t.index(['connection_key', 'resource_type', 'display_name_lower'], 'links_display_name')
    t.index(['connection_key', 'resource_type', 'native_id'], 'links_native_id')
  })
  // Partial unique indexes: a tombstoned link does not block a new one with the same name.
  // Plain SQL that SQLite and PostgreSQL both accept.
  await knex.raw(
    `CREATE UNIQUE INDEX links_live_user_name ON links (connection_key, resource_type, user_name_lower) WHERE state <> 'tombstoned'`,
  )
  await knex.raw(
    `CREATE UNIQUE INDEX links_live_group_name ON links (connection_key, resource_type, display_name_lower) WHERE resource_type = 'Group' AND state <> 'tombstoned'`,
  )

  await knex.schema.createTable('group_members', (t) => {
    t.string('connection_key', 200).notNullable()
    t.string('group_id', 64).notNullable()
    t.string('member_id', 64).notNullable()
    t.string('member_type', 16).notNullable()
    t.primary(['connection_key', 'group_id', 'member_id'])
    t.index(['connection_key', 'member_id'], 'group_members_member')
  })

  await knex.schema.createTable('tokens', (t) => {
    t.string('id', 64).primary()
    t.string('prefix', 32).notNullable().unique()
    t.string('hash', 64).notNullable()
    t.string('tenant', 100).notNullable()
    t.string('connection', 100).notNullable()
    t.string('label', 200)
    t.string('created_at', 32).notNullable()
    t.string('expires_at', 32)
    t.string('revoked_at', 32)
    t.string('last_used_at', 32)
    t.index(['tenant', 'connection'], 'tokens_scope')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tokens')
  await knex.schema.dropTable('group_members')
  await knex.schema.dropTable('links')
}
