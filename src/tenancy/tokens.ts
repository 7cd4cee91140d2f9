import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { TokenRecord, TokenStore } from '../store/tokens.ts'

/**
 * Gateway tokens look like `scgw_<prefix>_<secret>`: 48 bits of lookup prefix (stored in
 * clear, so a token can be found without a scan) and 256 bits of secret. Only the SHA-256
 * hash of the whole token is stored.
 */
const TOKEN_PATTERN = /^scgw_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]{43})$/

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export function readTokenPrefix(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token)?.[1]
}

export interface IssuedToken {
  token: string
  record: TokenRecord
}

export interface IssueTokenOptions {
  tenant: string
  connection: string
  label?: string
  expiresAt?: Date
  now: Date
}

export async function issueToken(store: TokenStore, options: IssueTokenOptions) {
  // A prefix may not start or end with '_' or it would blur the separators.
  let prefix: string
  do prefix = randomBytes(6).toString('base64url')
  while (prefix.startsWith('_') || prefix.endsWith('_'))
  const token = `scgw_${prefix}_${randomBytes(32).toString('base64url')}`
  const record: TokenRecord = {
    id: randomUUID(),
    prefix,
    hash: hashToken(token),
    tenant: options.tenant,
    connection: options.connection,
    label: options.label ?? null,
    createdAt: options.now.toISOString(),
    expiresAt: options.expiresAt?.toISOString() ?? null,
    revokedAt: null,
    lastUsedAt: null,
  }
  await store.insert(record)
  return { token, record } satisfies IssuedToken
}
