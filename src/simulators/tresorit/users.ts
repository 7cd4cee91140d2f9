import { SimulatorHttpError } from '../common/errors.ts'

export type TresoritStatus = 'invited' | 'active' | 'suspended' | 'removed'
export const TRESORIT_STATUSES: readonly TresoritStatus[] = [
  'invited',
  'active',
  'suspended',
  'removed',
]

/** A user as the product holds it (PRODUCTS.md §4, invented API [A]). */
export interface TresoritUser {
  /** Lowercased: the identifier and path id (R3: the email is the identifier). */
  email: string
  firstName: string
  lastName: string
  status: TresoritStatus
  policyTemplate: string
  role: string
  managedBy: 'scim' | 'manual'
  suspendedBy: 'scim' | 'admin' | null
}

export interface InviteInput {
  email: string
  firstName: string
  lastName: string
}

export interface TresoritUsers {
  find(email: string): TresoritUser | undefined
  /** Sorted by email, so page tokens stay stable while users are added. */
  list(): TresoritUser[]
  license(): { total: number; used: number }
  invite(input: InviteInput): TresoritUser
  setStatus(email: string, status: 'active' | 'suspended', by: 'scim' | 'admin'): TresoritUser
  acceptInvite(email: string): TresoritUser
  remove(email: string): TresoritUser
  destroy(email: string): void
  reset(): void
}

export function userNotFound(email: string): SimulatorHttpError {
  return new SimulatorHttpError(404, 'user_not_found', `No user with email ${email}`)
}

function seedUser(seed: Partial<TresoritUser> & { email: string }): TresoritUser {
  return {
    firstName: '',
    lastName: '',
    status: 'active',
    policyTemplate: 'Default',
    role: 'User',
    managedBy: 'manual',
    suspendedBy: null,
    ...seed,
    email: seed.email.toLowerCase(),
  }
}

/** The user table and its rules: licences, invites, suspension, removal. */
export function createTresoritUsers(
  seeds: readonly (Partial<TresoritUser> & { email: string })[],
  totalLicenses: number,
): TresoritUsers {
  let users = new Map<string, TresoritUser>()
  // What a suspension interrupted: unsuspending an invitee leaves the invitation pending.
  const suspendedFrom = new Map<string, TresoritStatus>()
  const reset = () => {
    users = new Map(seeds.map((seed) => [seed.email.toLowerCase(), seedUser(seed)]))
    suspendedFrom.clear()
  }
  reset()
  const copy = (user: TresoritUser): TresoritUser => ({ ...user })
  const findOrThrow = (email: string): TresoritUser => {
    const user = users.get(email.toLowerCase())
    if (!user) throw userNotFound(email)
    return user
  }
  // R4: a removed user no longer holds a licence.
  const used = () => [...users.values()].filter((user) => user.status !== 'removed').length
  const claimLicense = () => {
    if (used() >= totalLicenses)
      throw new SimulatorHttpError(402, 'no_license_available', 'No free licence for an invite')
  }

  return {
    find: (email) => {
      const user = users.get(email.toLowerCase())
      return user && copy(user)
    },
    list: () => [...users.values()].sort((a, b) => (a.email < b.email ? -1 : 1)).map(copy),
    license: () => ({ total: totalLicenses, used: used() }),
    invite: (input) => {
      const email = input.email.toLowerCase()
      const existing = users.get(email)
      if (existing && existing.status !== 'removed')
        throw new SimulatorHttpError(409, 'user_exists', `User ${email} already exists`)
      claimLicense()
      if (existing) {
        // R4: a removed user keeps the account (and its names); an invite brings it back.
        Object.assign(existing, {
          status: 'invited',
          policyTemplate: 'Default',
          managedBy: 'scim',
          suspendedBy: null,
        } satisfies Partial<TresoritUser>)
        return copy(existing)
      }
      const user: TresoritUser = {
        email,
        firstName: input.firstName,
        lastName: input.lastName,
        status: 'invited',
        policyTemplate: 'Default',
        role: 'User',
        managedBy: 'scim',
        suspendedBy: null,
      }
      users.set(email, user)
      return copy(user)
    },
    setStatus: (email, status, by) => {
      const user = findOrThrow(email)
      if (user.status === 'removed')
        throw new SimulatorHttpError(
          409,
          'user_removed',
          `User ${user.email} was removed; invite again`,
        )
      if (status === 'suspended' && user.status !== 'suspended') {
        suspendedFrom.set(user.email, user.status)
        user.status = 'suspended'
        user.suspendedBy = by
      } else if (status === 'active' && user.status === 'suspended') {
        user.status = suspendedFrom.get(user.email) === 'invited' ? 'invited' : 'active'
        user.suspendedBy = null
        suspendedFrom.delete(user.email)
      }
      // `active` on an invited user leaves the invitation pending: only the invitee accepts it.
      return copy(user)
    },
    acceptInvite: (email) => {
      const user = findOrThrow(email)
      if (user.status !== 'invited')
        throw new SimulatorHttpError(409, 'not_invited', `User ${user.email} is ${user.status}`)
      user.status = 'active'
      return copy(user)
    },
    remove: (email) => {
      const user = findOrThrow(email)
      user.status = 'removed'
      user.suspendedBy = null
      suspendedFrom.delete(user.email)
      return copy(user)
    },
    destroy: (email) => {
      const user = findOrThrow(email)
      users.delete(user.email)
      suspendedFrom.delete(user.email)
    },
    reset,
  }
}
