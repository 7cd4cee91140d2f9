import type { Knex } from 'knex'

/**
 * What the product says of a linked user that SCIM does not (Infisical: `invited` until the
 * user finishes setting up the account). Shown to operators; never part of the SCIM view.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('links', (t) => {
    t.string('product_state', 40)
    t.index(['connection_key', 'product_state'], 'links_product_state')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('links', (t) => {
    t.dropIndex(['connection_key', 'product_state'], 'links_product_state')
    t.dropColumn('product_state')
  })
}
