import type { Knex } from 'knex'

export interface ProductStateCount {
  connectionKey: string
  state: string
  count: number
}

interface StateRow {
  seq: number
  connection_key: string
  resource_type: string
  id: string
  state: string
  product_state: string | null
}

export type ProductStates = ReturnType<typeof createProductStates>

/**
 * Product-side states of linked users (e.g. `invited`), kept beside the link and outside the
 * SCIM view: the IdP reads back what it set; operators see what the product still waits for.
 */
export function createProductStates(db: Knex) {
  const users = (trx: Knex | Knex.Transaction, connectionKey: string) =>
    trx<StateRow>('links').where({
      connection_key: connectionKey,
      resource_type: 'User',
    })

  return {
    async set(connectionKey: string, id: string, state: string | null): Promise<void> {
      await users(db, connectionKey).andWhere({ id }).update({ product_state: state })
    },

    /** Live users in this state, oldest first, after the one at `afterSeq`. */
    async list(
      connectionKey: string,
      state: string,
      limit: number,
      afterSeq = 0,
    ): Promise<{ id: string; seq: number }[]> {
      const rows = await users(db, connectionKey)
        .andWhere({ product_state: state })
        .andWhere('seq', '>', afterSeq)
        .andWhereRaw(`state <> 'tombstoned'`)
        .orderBy('seq')
        .limit(limit)
        .select('id', 'seq')
      return rows.map((r) => ({ id: r.id, seq: Number(r.seq) }))
    },

    /** Live users per connection and product state. */
    async counts(): Promise<ProductStateCount[]> {
      const rows: Record<string, unknown>[] = await db('links')
        .whereNotNull('product_state')
        .andWhereRaw(`state <> 'tombstoned'`)
        .groupBy('connection_key', 'product_state')
        .select('connection_key', 'product_state')
        .count({ count: '*' })
      return rows.map((r) => ({
        connectionKey: String(r.connection_key),
        state: String(r.product_state),
        // PostgreSQL answers a count as text.
        count: Number(r.count),
      }))
    },
  }
}
