import type { SimulatorClock } from '../common/clock.ts'
import { createInfisicalGroups, type InfisicalGroup, type InfisicalGroups } from './groups.ts'
import {
  createInfisicalMembers,
  type InfisicalMembers,
  type InfisicalMembership,
  type InfisicalUser,
  type Member,
  type SentEmail,
} from './members.ts'
import { createOrgState, type InfisicalOrg, type OrgState } from './org.ts'
import type { InfisicalSettings } from './settings.ts'

/** What `GET /_sim/state` answers. */
export interface InfisicalState {
  org: InfisicalOrg
  users: InfisicalUser[]
  memberships: InfisicalMembership[]
  groups: InfisicalGroup[]
  emails: SentEmail[]
}

export interface InfisicalStore {
  org: OrgState
  members: InfisicalMembers
  groups: InfisicalGroups
  /** Removes a membership and takes it out of every group. */
  deleteMembership(membershipId: string): Member
  snapshot(): InfisicalState
  reset(): void
}

/** The organisation, its members and groups, kept consistent with one another. */
export function createInfisicalStore(
  settings: InfisicalSettings,
  clock: SimulatorClock,
): InfisicalStore {
  const org = createOrgState(settings)
  const members = createInfisicalMembers(settings.users, { org: () => org.get(), clock })
  const groups = createInfisicalGroups({ members, org, clock })
  return {
    org,
    members,
    groups,
    deleteMembership: (membershipId) => {
      const removed = members.remove(membershipId)
      groups.dropMember(membershipId)
      return removed
    },
    snapshot: () => ({
      org: org.get(),
      users: members.users(),
      memberships: members.memberships(),
      groups: groups.list().map(({ id, displayName, role, members: ids }) => ({
        id,
        displayName,
        role,
        members: ids,
      })),
      emails: members.emails(),
    }),
    reset: () => {
      org.reset()
      members.reset()
      groups.reset()
    },
  }
}
