import { isRecord, type JsonObject } from '../common/body.ts'
import { badRequest } from './errors.ts'
import type { GroupWrite } from './groups.ts'
import { uniqueIds } from './groups.ts'
import type { PatchOperation } from './scim-input.ts'

function readDisplayName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw badRequest('displayName must be a non-empty string')
  return value.trim()
}

/** `members: [{value, display?}]` → membership ids. */
function readMemberValues(value: unknown): string[] {
  if (!Array.isArray(value)) throw badRequest('members must be an array of {value}')
  return value.map((member: unknown) => {
    if (!isRecord(member) || typeof member.value !== 'string' || member.value === '')
      throw badRequest('Each member needs a string value')
    return member.value
  })
}

/** A POST or PUT body: absent `members` means none (PUT replaces the whole set). */
export function readGroupBody(body: unknown): GroupWrite {
  if (!isRecord(body)) throw badRequest('Expected a SCIM Group object')
  return {
    displayName: readDisplayName(body.displayName),
    members:
      body.members === undefined || body.members === null ? [] : readMemberValues(body.members),
  }
}

/** `members[value eq "id"]`, the filter form Entra uses to remove one member. */
const MEMBER_FILTER = /^members\[\s*value\s+eq\s+"([^"]+)"\s*\]$/i

function applyPathless(group: GroupWrite, op: 'add' | 'replace', value: JsonObject): GroupWrite {
  let next = group
  for (const [key, item] of Object.entries(value)) {
    if (key === 'displayName') next = { ...next, displayName: readDisplayName(item) }
    else if (key === 'members') next = setMembers(next, op, readMemberValues(item))
    else if (key !== 'id' && key !== 'externalId')
      throw badRequest(`Unsupported attribute path "${key}"`)
  }
  return next
}

function setMembers(group: GroupWrite, op: 'add' | 'replace', ids: string[]): GroupWrite {
  return { ...group, members: op === 'add' ? uniqueIds([...group.members, ...ids]) : ids }
}

function removeMembers(group: GroupWrite, ids: readonly string[] | undefined): GroupWrite {
  if (ids === undefined) return { ...group, members: [] }
  const gone = new Set(ids)
  return { ...group, members: group.members.filter((id) => !gone.has(id)) }
}

function applyOne(group: GroupWrite, { op, path, value }: PatchOperation): GroupWrite {
  if (op === 'remove') {
    const single = MEMBER_FILTER.exec(path ?? '')
    if (single?.[1] !== undefined) return removeMembers(group, [single[1]])
    if (path?.toLowerCase() !== 'members') throw badRequest(`Cannot remove "${path ?? ''}"`)
    return removeMembers(group, value === undefined ? undefined : readMemberValues(value))
  }
  if (path === undefined) {
    if (!isRecord(value)) throw badRequest('An operation without a path needs an object value')
    return applyPathless(group, op, value)
  }
  if (path.toLowerCase() === 'displayname') return { ...group, displayName: readDisplayName(value) }
  if (path.toLowerCase() === 'members') return setMembers(group, op, readMemberValues(value))
  throw badRequest(`Unsupported attribute path "${path}"`)
}

/** Applies a group PatchOp to the group's name and member ids; the store then checks them. */
export function applyGroupPatch(
  group: GroupWrite,
  operations: readonly PatchOperation[],
): GroupWrite {
  return operations.reduce(applyOne, group)
}
