import type { Knex } from 'knex'

/** Work that must outlive a request, taken by a worker in every replica. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbox', (t) => {
    t.increments('id').primary()
    t.string('connection_key', 200).notNullable()
    t.string('kind', 40).notNullable()
    /** Jobs with the same resource run in the order they were queued. */
    t.string('resource', 300).notNullable()
    t.text('payload').notNullable()
    t.string('state', 16).notNullable()
    t.integer('attempts').notNullable().defaultTo(0)
    t.string('next_attempt_at', 32).notNullable()
    t.string('lease_owner', 100)
    t.string('lease_expires_at', 32)
    t.text('last_error')
    t.string('request_id', 64)
    /** Periodic jobs are queued once per period by whichever replica gets there first. */
    t.string('dedupe_key', 300).unique()
    t.string('created_at', 32).notNullable()
    t.string('updated_at', 32).notNullable()
    t.index(['state', 'next_attempt_at'], 'outbox_due')
    t.index(['connection_key', 'resource', 'id'], 'outbox_resource')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('outbox')
}
