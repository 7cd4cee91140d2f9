import type { Knex } from 'knex'

/** The provisioning log: one row per SCIM operation, never a secret. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('events', (t) => {
    t.increments('seq').primary()
    t.string('at', 32).notNullable()
    t.string('request_id', 64)
    t.string('tenant', 100)
    t.string('connection', 100)
    t.string('dialect', 16)
    t.string('method', 8).notNullable()
    t.string('resource_type', 16)
    t.string('resource_id', 255)
    t.string('subject', 512)
    t.string('outcome', 32).notNullable()
    t.integer('status').notNullable()
    t.text('detail')
    t.text('ignored')
    t.text('upstream')
    t.integer('retries').notNullable().defaultTo(0)
    t.float('duration_ms').notNullable()
    t.index(['tenant', 'connection', 'seq'], 'events_connection')
    t.index(['at'], 'events_at')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('events')
}
