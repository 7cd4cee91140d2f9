import type { Request } from 'express'
import { readIntegerQuery } from '../common/body.ts'
import { badRequest } from './errors.ts'
import type { StoredGroup } from './groups.ts'
import type { Member } from './members.ts'
import { displayNameOf } from './scim.ts'

const DEFAULT_COUNT = 20

export interface Paging {
  startIndex: number
  count: number
}

/** `startIndex` (default 1) and `count` (default 20); a count of 0 sets no limit upstream. */
export function readPaging(req: Request): Paging {
  const startIndex = readIntegerQuery(req.query.startIndex)
  const count = readIntegerQuery(req.query.count)
  if (Number.isNaN(startIndex) || Number.isNaN(count))
    throw badRequest('startIndex and count must be integers')
  if ((startIndex ?? 1) < 0 || (count ?? 0) < 0)
    throw badRequest('startIndex and count must not be negative')
  return { startIndex: startIndex ?? 1, count: count ?? DEFAULT_COUNT }
}

export function pageOf<T>(items: readonly T[], paging: Paging): T[] {
  const offset = Math.max(0, paging.startIndex - 1)
  return items.slice(offset, paging.count > 0 ? offset + paging.count : undefined)
}

/** Infisical splits the filter on `eq` and strips quotes: nothing else of RFC 7644 §3.4.2.2. */
const EQ_FILTER = /^\s*([A-Za-z.]+)\s+eq\s+"?([^"]*)"?\s*$/

function parseEq(text: string, allowed: readonly string[]): { attribute: string; value: string } {
  const match = EQ_FILTER.exec(text)
  const attribute = match?.[1] ?? ''
  if (!match || !allowed.includes(attribute))
    throw badRequest(`Unsupported filter: only ${allowed.map((a) => `${a} eq`).join(' or ')}`)
  return { attribute, value: match[2] ?? '' }
}

/** `userName eq` compares the email (emails are kept lowercase), `displayName eq` the full name. */
export function parseUserFilter(
  text: string | undefined,
): ((member: Member) => boolean) | undefined {
  if (!text) return undefined
  const { attribute, value } = parseEq(text, ['userName', 'displayName'])
  if (attribute === 'userName') {
    const email = value.toLowerCase()
    return (member) => member.user.email === email
  }
  return (member) => displayNameOf(member) === value
}

export function parseGroupFilter(
  text: string | undefined,
): ((group: StoredGroup) => boolean) | undefined {
  if (!text) return undefined
  const { value } = parseEq(text, ['displayName'])
  return (group) => group.displayName === value
}
