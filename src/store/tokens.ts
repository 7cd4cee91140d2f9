import type { Knex } from 'knex'

/** A stored gateway token: only its SHA-256 hash and a lookup prefix, never the token. */
export interface TokenRecord {
  id: string
  prefix: string
  hash: string
  tenant: string
  connection: string
  label: string | null
  createdAt: string
  expiresAt: string | null
  revokedAt: string | null
  lastUsedAt: string | null
}

interface TokenRow {
  id: string
  prefix: string
  hash: string
  tenant: string
  connection: string
  label: string | null
  created_at: string
  expires_at: string | null
  revoked_at: string | null
  last_used_at: string | null
}

const fromRow = (r: TokenRow): TokenRecord => ({
  id: r.id,
  prefix: r.prefix,
  hash: r.hash,
  tenant: r.tenant,
  connection: r.connection,
  label: r.label,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
})

export type TokenStore = ReturnType<typeof createTokenStore>

export function createTokenStore(db: Knex) {
  return {
    async insert(token: TokenRecord): Promise<void> {
      await db('tokens').insert({
        id: token.id,
        prefix: token.prefix,
        hash: token.hash,
        tenant: token.tenant,
        connection: token.connection,
        label: token.label,
        created_at: token.createdAt,
        expires_at: token.expiresAt,
        revoked_at: token.revokedAt,
        last_used_at: token.lastUsedAt,
      })
    },

    async findByPrefix(prefix: string): Promise<TokenRecord | undefined> {
      const row = await db<TokenRow>('tokens').where({ prefix }).first()
      return row ? fromRow(row) : undefined
    },

    async list(filter: { tenant?: string } = {}): Promise<TokenRecord[]> {
      const query = db<TokenRow>('tokens').select('*').orderBy('created_at')
      if (filter.tenant) query.where({ tenant: filter.tenant })
      return (await query).map(fromRow)
    },

    async revoke(id: string, now: string): Promise<boolean> {
      const changed = await db('tokens')
        .where({ id })
        .whereNull('revoked_at')
        .update({ revoked_at: now })
      return changed > 0
    },

    async touch(id: string, now: string): Promise<void> {
      await db('tokens').where({ id }).update({ last_used_at: now })
    },
  }
}
