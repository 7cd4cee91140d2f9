import { isEmail, isRecord } from '../common/body.ts'
import type { SimulatorClock } from '../common/clock.ts'
import { SimulatorHttpError } from '../common/errors.ts'
import { badRequest, conflict, notFound } from './errors.ts'
import { CLUMIO_GLOBAL_OU_ID } from './organizational-units.ts'
import {
  CLUMIO_ROLE_IDS,
  holdsRole,
  normalizeAccess,
  removeAccess,
  readAccessEntries,
  type AccessControlEntry,
} from './roles.ts'

/** A user as the API answers it (PRODUCTS.md §2, C2). */
export interface ClumioUser {
  /** An integer, sent as a string. */
  id: string
  /** Lowercased; immutable (no email field in PATCH). */
  email: string
  full_name: string
  /** Id of the user who sent the invitation; '' for seeded users. */
  inviter: string
  is_confirmed: boolean
  is_enabled: boolean
  /** Null until the user first logs in. */
  last_activity_timestamp: string | null
  organizational_unit_count: number
  access_control_configuration: AccessControlEntry[]
}

export interface ClumioUserSeed {
  /** Default: one more than the highest id so far. */
  id?: number
  email: string
  full_name?: string
  inviter?: string
  is_confirmed?: boolean
  is_enabled?: boolean
  /** Default null: nobody has logged in to the simulator yet. */
  last_activity_timestamp?: string | null
  access_control_configuration?: readonly AccessControlEntry[]
}

export interface UserInput {
  email: string
  full_name: string
  access_control_configuration: AccessControlEntry[]
}

export interface UserChanges {
  full_name?: string
  is_enabled?: boolean
  add: AccessControlEntry[]
  remove: AccessControlEntry[]
}

/** The invitation email a new user is sent (C3). */
export interface Invitation {
  to: string
  at: string
}

export interface ClumioUsers {
  find(id: number): ClumioUser | undefined
  /** Sorted by numeric id. */
  list(): ClumioUser[]
  create(input: UserInput): ClumioUser
  update(id: number, changes: UserChanges): ClumioUser
  remove(id: number): void
  acceptInvite(id: number): ClumioUser
  /** A login; `access`, when given, replaces the user's roles (auto user provisioning). */
  login(email: string, access: AccessControlEntry[] | undefined): ClumioUser
  invitations(): Invitation[]
  reset(): void
}

interface StoredUser extends Omit<ClumioUser, 'id' | 'organizational_unit_count'> {
  id: number
}

export function userNotFound(id: number | string): SimulatorHttpError {
  return notFound(`No user with id ${id}`)
}

/** What keeps the tenant administrable: an enabled Super Admin on Global (C4). */
function isGuardian(user: Pick<StoredUser, 'is_enabled' | 'access_control_configuration'>) {
  return (
    user.is_enabled &&
    holdsRole(user.access_control_configuration, CLUMIO_ROLE_IDS.superAdmin, CLUMIO_GLOBAL_OU_ID)
  )
}

export function countUsersWithRole(users: readonly ClumioUser[], roleId: string): number {
  return users.filter((user) => holdsRole(user.access_control_configuration, roleId)).length
}

export function countUsersInOrganizationalUnit(
  users: readonly ClumioUser[],
  unitId: string,
): number {
  return users.filter((user) =>
    user.access_control_configuration.some((entry) =>
      entry.organizational_unit_ids.includes(unitId),
    ),
  ).length
}

function readFullName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw badRequest('invalid_request', 'full_name must be a non-empty string')
  return value
}

/** `POST /users {email, full_name, access_control_configuration?}`. */
export function readUserInput(body: unknown): UserInput {
  if (!isRecord(body)) throw badRequest('invalid_request', 'Expected a JSON object')
  if (!isEmail(body.email)) throw badRequest('invalid_email', 'email must be a valid email address')
  return {
    email: body.email,
    full_name: readFullName(body.full_name),
    access_control_configuration: readAccessEntries(
      body.access_control_configuration,
      'access_control_configuration',
    ),
  }
}

/** `PATCH /users/{id} {full_name?, is_enabled?, access_control_configuration_updates?}`. */
export function readUserChanges(body: unknown): UserChanges {
  if (!isRecord(body)) throw badRequest('invalid_request', 'Expected a JSON object')
  if ('email' in body) throw badRequest('email_immutable', 'email cannot be changed')
  const updates = body.access_control_configuration_updates ?? {}
  if (!isRecord(updates))
    throw badRequest('invalid_request', 'access_control_configuration_updates must be an object')
  if (body.is_enabled !== undefined && typeof body.is_enabled !== 'boolean')
    throw badRequest('invalid_request', 'is_enabled must be a boolean')
  return {
    full_name: body.full_name === undefined ? undefined : readFullName(body.full_name),
    is_enabled: body.is_enabled,
    add: readAccessEntries(updates.add, 'access_control_configuration_updates.add'),
    remove: readAccessEntries(updates.remove, 'access_control_configuration_updates.remove'),
  }
}

function toWire(user: StoredUser): ClumioUser {
  const access = user.access_control_configuration.map((entry) => ({
    role_id: entry.role_id,
    organizational_unit_ids: [...entry.organizational_unit_ids],
  }))
  return {
    id: String(user.id),
    email: user.email,
    full_name: user.full_name,
    inviter: user.inviter,
    is_confirmed: user.is_confirmed,
    is_enabled: user.is_enabled,
    last_activity_timestamp: user.last_activity_timestamp,
    organizational_unit_count: new Set(access.flatMap((entry) => entry.organizational_unit_ids))
      .size,
    access_control_configuration: access,
  }
}

const lastSuperAdmin = () =>
  conflict('last_super_admin', 'The last Super Admin on the Global organizational unit must stay')

/** The user table and its rules: invitations, immutable email, the last Super Admin (C2–C4). */
export function createClumioUsers(
  seeds: readonly ClumioUserSeed[],
  clock: SimulatorClock,
): ClumioUsers {
  let users = new Map<number, StoredUser>()
  let invitations: Invitation[] = []
  let nextId = 1
  const reset = () => {
    users = new Map()
    invitations = []
    nextId = 1
    for (const seed of seeds) {
      const id = seed.id ?? nextId
      users.set(id, {
        id,
        email: seed.email.toLowerCase(),
        full_name: seed.full_name ?? '',
        inviter: seed.inviter ?? '',
        is_confirmed: seed.is_confirmed ?? true,
        is_enabled: seed.is_enabled ?? true,
        last_activity_timestamp: seed.last_activity_timestamp ?? null,
        access_control_configuration: normalizeAccess(seed.access_control_configuration ?? []),
      })
      nextId = Math.max(nextId, id + 1)
    }
  }
  reset()
  const sorted = () => [...users.values()].sort((a, b) => a.id - b.id)
  const findOrThrow = (id: number) => {
    const user = users.get(id)
    if (!user) throw userNotFound(id)
    return user
  }
  const byEmail = (email: string) =>
    [...users.values()].find((user) => user.email === email.toLowerCase())
  /** Refuses a change that takes away the last guardian. */
  const guard = (
    user: StoredUser,
    after: Pick<StoredUser, 'is_enabled' | 'access_control_configuration'> | null,
  ) => {
    if (!isGuardian(user) || (after && isGuardian(after))) return
    if (!sorted().some((other) => other.id !== user.id && isGuardian(other))) throw lastSuperAdmin()
  }

  return {
    find: (id) => {
      const user = users.get(id)
      return user && toWire(user)
    },
    list: () => sorted().map(toWire),
    create: (input) => {
      if (byEmail(input.email))
        throw conflict('already_exists', `A user with email ${input.email.toLowerCase()} exists`)
      // The API token acts for the tenant's first Super Admin, who thus sends the invitation.
      const inviter = sorted().find(isGuardian)
      const user: StoredUser = {
        id: nextId++,
        email: input.email.toLowerCase(),
        full_name: input.full_name,
        inviter: inviter ? String(inviter.id) : '',
        is_confirmed: false,
        is_enabled: true,
        last_activity_timestamp: null,
        access_control_configuration: normalizeAccess(input.access_control_configuration),
      }
      users.set(user.id, user)
      invitations.push({ to: user.email, at: clock.now().toISOString() })
      return toWire(user)
    },
    update: (id, changes) => {
      const user = findOrThrow(id)
      const after = {
        is_enabled: changes.is_enabled ?? user.is_enabled,
        access_control_configuration: removeAccess(
          normalizeAccess([...user.access_control_configuration, ...changes.add]),
          changes.remove,
        ),
      }
      guard(user, after)
      Object.assign(user, after)
      if (changes.full_name !== undefined) user.full_name = changes.full_name
      return toWire(user)
    },
    remove: (id) => {
      guard(findOrThrow(id), null)
      users.delete(id)
    },
    acceptInvite: (id) => {
      const user = findOrThrow(id)
      if (user.is_confirmed)
        throw conflict('already_confirmed', `User ${user.email} has already accepted`)
      user.is_confirmed = true
      return toWire(user)
    },
    login: (email, access) => {
      const user = byEmail(email)
      if (!user) throw notFound(`No user with email ${email.toLowerCase()}`)
      // C2: a disabled user is suspended and cannot log in.
      if (!user.is_enabled)
        throw new SimulatorHttpError(403, 'user_disabled', `User ${user.email} is disabled`)
      user.is_confirmed = true
      user.last_activity_timestamp = clock.now().toISOString()
      if (access) user.access_control_configuration = normalizeAccess(access)
      return toWire(user)
    },
    invitations: () => invitations.map((invitation) => ({ ...invitation })),
    reset,
  }
}
