import type { Knex } from 'knex'

export interface ProductStateCount {
  connectionKey: string
  state: string
  count: number
}

export type ProductStates = ReturnType<typeof createProductStates>

/**
 * Product-side states of linked users (e.g. `invited`), kept beside the link and outside the
 * SCIM view: the IdP reads back what it set; operators see what the product still waits for.
 */
export function createProductStates(db: Knex) {
  const users = (trx: Knex | Knex.Transaction, connectionKey: string) =>
    trx('links').where({ connection_key: connectionKey, resource_type: 'User' })

  return {
    async set(connectionKey: string, id: string, state: string | null): Promise<void> {
      await users(db, connectionKey).andWhere({ id }).update({ product_state: state })
    },

    /** Live users in this state, oldest first. */
    async list(connectionKey: string, state: string, limit: number): Promise<string[]> {
      const rows = (await users(db, connectionKey)
        .andWhere({ product_state: state })
        .andWhereRaw(`state <> 'tombstoned'`)
        .orderBy('seq')
        .limit(limit)
        .select('id')) as { id: string }[]
      return rows.map((r) => r.id)
    },

    async get(connectionKey: string, id: string): Promise<string | null> {
      const row = (await users(db, connectionKey).andWhere({ id }).first('product_state')) as
        { product_state: string | null } | undefined
      return row?.product_state ?? null
    },

    /** Live users per connection and product state. */
    async counts(): Promise<ProductStateCount[]> {
      const rows = (await db('links')
        .whereNotNull('product_state')
        .andWhereRaw(`state <> 'tombstoned'`)
        .groupBy('connection_key', 'product_state')
        .select('connection_key', 'product_state')
        .count({ count: '*' })) as {
        connection_key: string
        product_state: string
        count: number | string
      }[]
      return rows.map((r) => ({
        connectionKey: r.connection_key,
        state: r.product_state,
        count: Number(r.count),
      }))
    },
  }
}
