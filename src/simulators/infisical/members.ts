import { randomUUID } from 'node:crypto'
import type { SimulatorClock } from '../common/clock.ts'
import type { SimulatorHttpError } from '../common/errors.ts'
import { badRequest, notFound } from './errors.ts'
import type { InfisicalOrg } from './org.ts'
import type { InfisicalUserSeed, MembershipStatus } from './settings.ts'

/** An Infisical account; it outlives its org memberships. */
export interface InfisicalUser {
  id: string
  username: string
  email: string
  firstName: string
  lastName: string
  isEmailVerified: boolean
  /** The account is set up (E2EE keys made); until then memberships stay `invited`. */
  isAccepted: boolean
}

/** The org membership: its id is the SCIM user id. */
export interface InfisicalMembership {
  id: string
  userId: string
  role: string
  status: MembershipStatus
  isActive: boolean
  /** The SCIM userName, kept as the SSO user alias. */
  externalId: string | null
}

export interface SentEmail {
  to: string
  subject: string
  at: string
}

/** A membership with its user, as the SCIM and native APIs render it. */
export interface Member {
  user: InfisicalUser
  membership: InfisicalMembership
  created: string
  lastModified: string
}

export interface ProvisionInput {
  externalId: string
  email: string
  firstName: string
  lastName: string
  active: boolean
}

/** A SCIM write; `undefined` leaves a field as it is. */
export interface MemberChanges {
  externalId?: string
  email?: string
  firstName?: string
  lastName?: string
  isActive?: boolean
}

export interface InfisicalMembers {
  find(membershipId: string): Member | undefined
  list(): Member[]
  users(): InfisicalUser[]
  memberships(): InfisicalMembership[]
  emails(): SentEmail[]
  provision(input: ProvisionInput): Member
  update(membershipId: string, changes: MemberChanges): Member
  remove(membershipId: string): Member
  invite(email: string, role: string): Member
  setMembership(membershipId: string, changes: { role?: string; isActive?: boolean }): Member
  /** Gives `role` to those of `membershipIds` still invited (a group→role mapping). */
  applyMappedRole(membershipIds: readonly string[], role: string): void
  completeSetup(membershipId: string): Member
  reset(): void
}

interface StoredMembership extends InfisicalMembership {
  created: string
  lastModified: string
}

export const INVITATION_SUBJECT = 'Infisical organization invitation'

/** The `first-last` username given when SSO emails are not trusted, made unique. */
export function slugUsername(
  firstName: string,
  lastName: string,
  taken: (name: string) => boolean,
) {
  const base =
    `${firstName}-${lastName}`
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'user'
  let candidate = base
  for (let suffix = 2; taken(candidate); suffix += 1) candidate = `${base}-${suffix}`
  return candidate
}

export function membershipNotFound(): SimulatorHttpError {
  return notFound('User not found')
}

/** Users, org memberships and the outbox, with Infisical's provisioning rules (PRODUCTS.md §3). */
export function createInfisicalMembers(
  seeds: readonly InfisicalUserSeed[],
  deps: { org: () => InfisicalOrg; clock: SimulatorClock },
): InfisicalMembers {
  let users = new Map<string, InfisicalUser>()
  let memberships = new Map<string, StoredMembership>()
  let outbox: SentEmail[] = []
  const now = () => deps.clock.now().toISOString()

  const addMembership = (
    user: InfisicalUser,
    fields: Pick<InfisicalMembership, 'role' | 'isActive'> & Partial<InfisicalMembership>,
  ): StoredMembership => {
    const stamp = now()
    const membership: StoredMembership = {
      id: fields.id ?? randomUUID(),
      userId: user.id,
      role: fields.role,
      status: fields.status ?? (user.isAccepted ? 'accepted' : 'invited'),
      isActive: fields.isActive,
      externalId: fields.externalId ?? null,
      created: stamp,
      lastModified: stamp,
    }
    memberships.set(membership.id, membership)
    return membership
  }

  const reset = () => {
    users = new Map()
    memberships = new Map()
    outbox = []
    for (const seed of seeds) {
      const status = seed.status ?? 'accepted'
      const email = seed.email.toLowerCase()
      const user: InfisicalUser = {
        id: seed.userId ?? randomUUID(),
        username: seed.username ?? email,
        email,
        firstName: seed.firstName ?? '',
        lastName: seed.lastName ?? '',
        isEmailVerified: seed.isEmailVerified ?? true,
        isAccepted: status === 'accepted',
      }
      users.set(user.id, user)
      addMembership(user, {
        id: seed.membershipId,
        role: seed.role ?? 'member',
        status,
        isActive: seed.isActive ?? true,
        externalId: seed.externalId ?? null,
      })
    }
  }
  reset()

  const userOf = (membership: StoredMembership): InfisicalUser => {
    const user = users.get(membership.userId)
    if (!user) throw new Error(`Membership ${membership.id} has no user`)
    return user
  }
  const toMember = (membership: StoredMembership): Member => {
    const { created, lastModified, ...rest } = membership
    return { user: { ...userOf(membership) }, membership: rest, created, lastModified }
  }
  const stored = (membershipId: string): StoredMembership => {
    const membership = memberships.get(membershipId)
    if (!membership) throw membershipNotFound()
    return membership
  }
  const membershipOfUser = (userId: string) =>
    [...memberships.values()].find((membership) => membership.userId === userId)
  const touch = (membership: StoredMembership) => {
    membership.lastModified = now()
  }
  const sendInvitation = (to: string) => {
    outbox.push({ to, subject: INVITATION_SUBJECT, at: now() })
  }
  const addUser = (fields: Omit<InfisicalUser, 'id' | 'isAccepted'>): InfisicalUser => {
    const user: InfisicalUser = { id: randomUUID(), ...fields, isAccepted: false }
    users.set(user.id, user)
    return user
  }
  const provisionUser = (input: ProvisionInput, org: InfisicalOrg): InfisicalUser => {
    const email = input.email.toLowerCase()
    const taken = (name: string) => [...users.values()].some((user) => user.username === name)
    return addUser({
      // Untrusted SSO emails must not become a login name, so Infisical derives one from the name.
      username: org.trustEmails ? email : slugUsername(input.firstName, input.lastName, taken),
      email,
      firstName: input.firstName,
      lastName: input.lastName,
      isEmailVerified: org.trustEmails,
    })
  }

  return {
    find: (membershipId) => {
      const membership = memberships.get(membershipId)
      return membership && toMember(membership)
    },
    list: () => [...memberships.values()].map(toMember),
    users: () => [...users.values()].map((user) => ({ ...user })),
    memberships: () =>
      [...memberships.values()].map((membership) => toMember(membership).membership),
    emails: () => outbox.map((email) => ({ ...email })),

    provision: (input) => {
      const org = deps.org()
      // Lookup order: the alias (userName), then a verified account with the email, then new.
      let membership = [...memberships.values()].find((m) => m.externalId === input.externalId)
      if (!membership) {
        const email = input.email.toLowerCase()
        const user =
          [...users.values()].find((u) => u.email === email && u.isEmailVerified) ??
          provisionUser(input, org)
        membership =
          membershipOfUser(user.id) ??
          addMembership(user, { role: org.defaultMembershipRole, isActive: input.active })
        membership.externalId = input.externalId
        touch(membership)
      }
      const user = userOf(membership)
      if (membership.status === 'invited' && user.isAccepted) membership.status = 'accepted'
      // Infisical mails every SCIM create, even one that finds an existing member.
      sendInvitation(input.email)
      return toMember(membership)
    },

    update: (membershipId, changes) => {
      const membership = stored(membershipId)
      const user = userOf(membership)
      if (changes.externalId !== undefined) membership.externalId = changes.externalId
      if (changes.isActive !== undefined) membership.isActive = changes.isActive
      if (changes.firstName !== undefined) user.firstName = changes.firstName
      if (changes.lastName !== undefined) user.lastName = changes.lastName
      if (changes.email !== undefined && changes.email.toLowerCase() !== user.email) {
        user.email = changes.email.toLowerCase()
        // A changed email is as trusted as the SSO's emails are.
        user.isEmailVerified = deps.org().trustEmails
      }
      touch(membership)
      return toMember(membership)
    },

    remove: (membershipId) => {
      const member = toMember(stored(membershipId))
      memberships.delete(membershipId)
      return member
    },

    invite: (email, role) => {
      const lower = email.toLowerCase()
      const user =
        [...users.values()].find((candidate) => candidate.email === lower) ??
        addUser({
          username: lower,
          email: lower,
          firstName: '',
          lastName: '',
          isEmailVerified: false,
        })
      let membership = membershipOfUser(user.id)
      if (membership?.status === 'accepted')
        throw badRequest('Failed to invite an existing member of org')
      membership ??= addMembership(user, { role, status: 'invited', isActive: true })
      sendInvitation(lower)
      return toMember(membership)
    },

    setMembership: (membershipId, changes) => {
      const membership = stored(membershipId)
      if (changes.role !== undefined) membership.role = changes.role
      if (changes.isActive !== undefined) membership.isActive = changes.isActive
      touch(membership)
      return toMember(membership)
    },

    applyMappedRole: (membershipIds, role) => {
      for (const id of membershipIds) {
        const membership = memberships.get(id)
        // First provisioning only: an accepted member keeps the role it has.
        if (membership?.status !== 'invited' || membership.role === role) continue
        membership.role = role
        touch(membership)
      }
    },

    completeSetup: (membershipId) => {
      const membership = stored(membershipId)
      membership.status = 'accepted'
      userOf(membership).isAccepted = true
      touch(membership)
      return toMember(membership)
    },

    reset,
  }
}
