import { parse, type Filter } from 'scim2-parse-filter'
import { findKey } from './dialect-values.ts'
import { invalidPath, invalidValue } from './errors.ts'
import { isJsonObject, type JsonObject, type JsonValue, type PatchOperation } from './types.ts'

export type MemberChange =
  | { kind: 'add'; values: string[] }
  | { kind: 'remove'; values: string[] }
  | { kind: 'removeAll' }
  | { kind: 'replace'; values: string[] }

/** `members`, `members[…]`, optionally qualified by the core Group URN, in any case. */
const MEMBERS_PATH = /^(?:urn:ietf:params:scim:schemas:core:2\.0:group:)?members(?:\[(.*)\])?$/is

/**
 * Groups: member operations become row changes, never a rewrite of a member array (a group of
 * thousands stays rows). Returns them in request order plus the remaining operations. Filters
 * other than `value eq` (alone or `or`-combined) and sub-attribute paths stay in
 * `otherOperations`.
 */
export function splitMemberOperations(operations: readonly PatchOperation[]): {
  memberChanges: MemberChange[]
  otherOperations: PatchOperation[]
} {
  const memberChanges: MemberChange[] = []
  const otherOperations: PatchOperation[] = []
  for (const operation of operations) {
    if (operation.path === undefined) {
      splitPathless(operation, memberChanges, otherOperations)
      continue
    }
    const change = toMemberChange(operation, operation.path)
    if (change) memberChanges.push(change)
    else otherOperations.push(operation)
  }
  return { memberChanges, otherOperations }
}

function toMemberChange(operation: PatchOperation, path: string): MemberChange | undefined {
  const match = MEMBERS_PATH.exec(path.trim())
  if (!match) return undefined
  const filterText = match[1]
  if (filterText === undefined) return wholeMembersChange(operation.op, operation.value)
  if (operation.op !== 'remove') return undefined
  const values = valueEqualities(parseMemberFilter(filterText, path))
  return values ? { kind: 'remove', values: unique(values) } : undefined
}

function wholeMembersChange(op: PatchOperation['op'], value: JsonValue | undefined): MemberChange {
  if (op === 'add') return { kind: 'add', values: memberIds(value) }
  // RFC 7643 §2.5: replacing with null (or removing) leaves no members.
  if (value === undefined || value === null) return { kind: 'removeAll' }
  // Entra without aadOptscim062020 names the members to remove in `value`: only those go.
  if (op === 'remove') return { kind: 'remove', values: memberIds(value) }
  return { kind: 'replace', values: memberIds(value) }
}

/** A path-less add/replace whose value holds `members` (RFC 7644 §3.5.2.1). */
function splitPathless(
  operation: PatchOperation,
  memberChanges: MemberChange[],
  otherOperations: PatchOperation[],
): void {
  const value = operation.value
  const key = isJsonObject(value)
    ? Object.keys(value).find((k) => k.toLowerCase() === 'members')
    : undefined
  if (operation.op === 'remove' || !isJsonObject(value) || key === undefined) {
    otherOperations.push(operation)
    return
  }
  memberChanges.push(wholeMembersChange(operation.op, value[key]))
  const rest: JsonObject = Object.fromEntries(Object.entries(value).filter(([k]) => k !== key))
  if (Object.keys(rest).length > 0) otherOperations.push({ ...operation, value: rest })
}

function parseMemberFilter(text: string, path: string): Filter {
  try {
    return parse(text)
  } catch {
    throw invalidPath(`Malformed value filter in path "${path}"`)
  }
}

/** `value eq "a"`, or `value eq "a" or value eq "b" …` → the ids; any other filter → undefined. */
function valueEqualities(filter: Filter): string[] | undefined {
  if (filter.op === 'or') {
    const parts = filter.filters.map(valueEqualities)
    return parts.every((p) => p !== undefined) ? parts.flat() : undefined
  }
  if (filter.op !== 'eq' || filter.attrPath.toLowerCase() !== 'value') return undefined
  return typeof filter.compValue === 'string' ? [filter.compValue] : undefined
}

function memberIds(value: JsonValue | undefined): string[] {
  const items = Array.isArray(value) ? value : [value ?? null]
  return unique(
    items.map((item) => {
      const id = isJsonObject(item) ? findKey(item, 'value') : undefined
      if (typeof id !== 'string' || id === '') {
        throw invalidValue('Each member needs a "value" holding the member id')
      }
      return id
    }),
  )
}

function unique(values: string[]): string[] {
  return [...new Set(values)]
}
