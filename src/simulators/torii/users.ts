import type { SimulatorClock } from '../common/clock.ts'
import { SimulatorHttpError } from '../common/errors.ts'
import type { ToriiUserSeed } from './settings.ts'

/** A user as Torii holds it (PRODUCTS.md §1 simulator spec). */
export interface ToriiUser {
  /** T5: integer ids. */
  id: number
  userName: string
  givenName: string
  familyName: string
  /** T3: the SCIM `userType`. */
  role: string
  active: boolean
}

export interface StoredToriiUser extends ToriiUser {
  created: string
  lastModified: string
}

/** What a SCIM write asks for; `undefined` = leave as is. */
export interface UserChanges {
  userName?: string
  givenName?: string
  familyName?: string
  role?: string
  active?: boolean
}

export interface ToriiUsers {
  find(id: number): StoredToriiUser | undefined
  list(): StoredToriiUser[]
  create(changes: UserChanges & { userName: string }): StoredToriiUser
  update(id: number, changes: UserChanges): StoredToriiUser
  delete(id: number): void
  reset(): void
}

export function scimError(status: number, scimType: string | undefined, detail: string) {
  return new SimulatorHttpError(status, scimType ?? `status_${status}`, detail)
}

export function userNotFound(id: string | number) {
  return scimError(404, undefined, `Resource ${id} not found`)
}

/** The user table and Torii's write rules (T3, T5, T6, T7). */
export function createToriiUsers(
  seeds: readonly ToriiUserSeed[],
  roles: readonly string[],
  clock: SimulatorClock,
): ToriiUsers {
  let users = new Map<number, StoredToriiUser>()
  let nextId = 1
  const reset = () => {
    const stamp = clock.now().toISOString()
    users = new Map()
    nextId = 1
    for (const seed of seeds) {
      const id = seed.id ?? nextId
      users.set(id, {
        givenName: '',
        familyName: '',
        role: 'Employee',
        active: true,
        ...seed,
        id,
        created: stamp,
        lastModified: stamp,
      })
      nextId = Math.max(nextId, id + 1)
    }
  }
  reset()
  const copy = (user: StoredToriiUser): StoredToriiUser => ({ ...user })
  const byUserName = (userName: string) =>
    [...users.values()].find((user) => user.userName.toLowerCase() === userName.toLowerCase())
  // T3: userType must match one of the account's roles exactly (case-sensitive).
  const checkRole = (role: string) => {
    if (!roles.includes(role)) throw scimError(400, 'invalidValue', `Role "${role}" does not exist`)
  }
  const touch = (user: StoredToriiUser, changes: UserChanges) => {
    Object.assign(user, removeUndefined(changes), { lastModified: clock.now().toISOString() })
  }

  return {
    find: (id) => {
      const user = users.get(id)
      return user && copy(user)
    },
    list: () => [...users.values()].sort((a, b) => a.id - b.id).map(copy),
    create: (changes) => {
      const existing = byUserName(changes.userName)
      if (existing?.active)
        throw scimError(409, 'uniqueness', `User ${changes.userName} already exists`)
      if (changes.role !== undefined) checkRole(changes.role)
      if (existing) {
        // T6: an inactive user is reactivated with POST — same id, role kept unless given.
        touch(existing, { ...changes, userName: undefined, active: true })
        return copy(existing)
      }
      const stamp = clock.now().toISOString()
      const user: StoredToriiUser = {
        id: nextId++,
        userName: changes.userName,
        givenName: changes.givenName ?? '',
        familyName: changes.familyName ?? '',
        role: changes.role ?? 'Employee', // T3: empty on create → Employee
        active: changes.active ?? true,
        created: stamp,
        lastModified: stamp,
      }
      users.set(user.id, user)
      return copy(user)
    },
    update: (id, changes) => {
      const user = users.get(id)
      if (!user) throw userNotFound(id)
      // T5/T6: only active users can be updated; reactivation is a POST.
      if (!user.active) throw scimError(400, 'invalidValue', 'User is not active')
      if (
        changes.userName !== undefined &&
        changes.userName.toLowerCase() !== user.userName.toLowerCase()
      )
        throw scimError(400, 'mutability', 'You cannot update or delete a read-only field') // T7
      if (changes.role !== undefined && changes.role !== user.role) {
        checkRole(changes.role)
        const otherAdmins = [...users.values()].filter(
          (other) => other.id !== id && other.active && other.role === 'Admin',
        )
        if (user.role === 'Admin' && otherAdmins.length === 0)
          throw scimError(400, 'invalidValue', "The last admin's role cannot be changed") // T5/T6
      }
      touch(user, { ...changes, userName: undefined })
      return copy(user)
    },
    delete: (id) => {
      if (!users.delete(id)) throw userNotFound(id)
    },
    reset,
  }
}

function removeUndefined(changes: UserChanges): UserChanges {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined))
}
