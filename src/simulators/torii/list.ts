import type { Request } from 'express'
import { readIntegerQuery, readQuery } from '../common/body.ts'
import { scimError, type StoredToriiUser } from './users.ts'

const DEFAULT_COUNT = 100
const MAX_COUNT = 200

/** T4: only `userName eq "…"` or `emails eq "…"`; no and/or/not, no other operator. */
const FILTER = /^\s*(userName|emails)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i

export function parseFilter(
  text: string | undefined,
): ((user: StoredToriiUser) => boolean) | undefined {
  if (text === undefined) return undefined
  const match = FILTER.exec(text)
  if (!match)
    throw scimError(400, 'invalidFilter', 'Only userName eq or emails eq filters are supported')
  let value: string
  try {
    value = String(JSON.parse(`"${match[2] ?? ''}"`))
  } catch {
    throw scimError(400, 'invalidFilter', 'The filter value is not a valid string')
  }
  // Both attributes compare the email, case-insensitively (RFC 7643 userName caseExact false).
  const wanted = value.toLowerCase()
  return (user) => user.userName.toLowerCase() === wanted
}

export interface Paging {
  startIndex: number
  count: number
}

/** T4: `startIndex`/`count` default 100, max 200; RFC 7644 §3.4.2.4 clamps out-of-range values. */
export function readPaging(req: Request): Paging {
  const startIndex = readIntegerQuery(req.query.startIndex)
  const count = readIntegerQuery(req.query.count)
  if (Number.isNaN(startIndex) || Number.isNaN(count))
    throw scimError(400, 'invalidValue', 'startIndex and count must be integers')
  return {
    startIndex: Math.max(1, startIndex ?? 1),
    count: Math.min(MAX_COUNT, Math.max(0, count ?? DEFAULT_COUNT)),
  }
}

const SORT_KEYS: Record<string, (user: StoredToriiUser) => string | number> = {
  id: (user) => user.id,
  username: (user) => user.userName.toLowerCase(),
  emails: (user) => user.userName.toLowerCase(),
  'name.givenname': (user) => user.givenName.toLowerCase(),
  'name.familyname': (user) => user.familyName.toLowerCase(),
  usertype: (user) => user.role,
  active: (user) => Number(user.active),
}

/** T4: any field can be sorted; unknown sort keys keep id order. */
export function sortUsers(users: StoredToriiUser[], req: Request): StoredToriiUser[] {
  const key = SORT_KEYS[readQuery(req.query.sortBy)?.toLowerCase() ?? '']
  if (!key) return users
  const direction = readQuery(req.query.sortOrder)?.toLowerCase() === 'descending' ? -1 : 1
  return [...users].sort((a, b) => (key(a) < key(b) ? -direction : key(a) > key(b) ? direction : 0))
}
