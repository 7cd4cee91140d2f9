import { randomUUID } from 'node:crypto'
import type { SimulatorClock } from '../common/clock.ts'
import { SimulatorHttpError } from '../common/errors.ts'
import { badRequest, conflict } from './errors.ts'
import type { InfisicalMembers } from './members.ts'
import type { OrgState } from './org.ts'

/** A group: `members` are org membership ids, the same ids SCIM uses for users. */
export interface InfisicalGroup {
  id: string
  displayName: string
  /** The org role the group itself grants: SCIM-made groups grant none. */
  role: 'no-access'
  members: string[]
}

export interface StoredGroup extends InfisicalGroup {
  created: string
  lastModified: string
}

/** A group as a SCIM write leaves it. */
export interface GroupWrite {
  displayName: string
  members: readonly string[]
}

export interface InfisicalGroups {
  find(id: string): StoredGroup | undefined
  list(): StoredGroup[]
  create(write: GroupWrite): StoredGroup
  replace(id: string, write: GroupWrite): StoredGroup
  delete(id: string): void
  /** A deleted membership leaves every group. */
  dropMember(membershipId: string): void
  reset(): void
}

export function groupNotFound(): SimulatorHttpError {
  return new SimulatorHttpError(404, 'NotFound', 'Group Not Found')
}

/** Member ids in first-seen order, without repeats. */
export function uniqueIds(ids: readonly string[]): string[] {
  return [...new Set(ids)]
}

/** The groups table and its rules: unique names, known members, group→role mappings. */
export function createInfisicalGroups(deps: {
  members: Pick<InfisicalMembers, 'find' | 'applyMappedRole'>
  org: OrgState
  clock: SimulatorClock
}): InfisicalGroups {
  let groups = new Map<string, StoredGroup>()
  const copy = (group: StoredGroup): StoredGroup => ({ ...group, members: [...group.members] })

  const checkWrite = (write: GroupWrite, selfId?: string) => {
    const name = write.displayName
    if ([...groups.values()].some((group) => group.displayName === name && group.id !== selfId))
      throw conflict(`Group with name '${name}' already exists in the organization`)
    const unknown = write.members.find((id) => !deps.members.find(id))
    if (unknown !== undefined) throw badRequest(`Org membership '${unknown}' not found`)
  }

  /** Stores the write; members that joined and are still invited take the mapped role. */
  const save = (group: StoredGroup, write: GroupWrite) => {
    const before = new Set(group.members)
    if (group.displayName !== write.displayName)
      deps.org.renameMapping(group.displayName, write.displayName)
    group.displayName = write.displayName
    group.members = uniqueIds(write.members)
    group.lastModified = deps.clock.now().toISOString()
    groups.set(group.id, group)
    const role = deps.org.get().groupRoleMappings[group.displayName]
    const joined = group.members.filter((id) => !before.has(id))
    if (role !== undefined && joined.length > 0) deps.members.applyMappedRole(joined, role)
    return copy(group)
  }

  return {
    find: (id) => {
      const group = groups.get(id)
      return group && copy(group)
    },
    list: () => [...groups.values()].map(copy),
    create: (write) => {
      checkWrite(write)
      const stamp = deps.clock.now().toISOString()
      const group: StoredGroup = {
        id: randomUUID(),
        displayName: write.displayName,
        role: 'no-access',
        members: [],
        created: stamp,
        lastModified: stamp,
      }
      return save(group, write)
    },
    replace: (id, write) => {
      const group = groups.get(id)
      if (!group) throw groupNotFound()
      checkWrite(write, id)
      return save(group, write)
    },
    delete: (id) => {
      if (!groups.delete(id)) throw groupNotFound()
    },
    dropMember: (membershipId) => {
      for (const group of groups.values())
        group.members = group.members.filter((id) => id !== membershipId)
    },
    reset: () => {
      groups = new Map()
    },
  }
}
