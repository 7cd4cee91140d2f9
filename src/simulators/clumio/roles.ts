import { isRecord } from '../common/body.ts'
import { badRequest } from './errors.ts'

/** Fixed ids of Clumio's built-in roles, UUID-shaped like the product's. */
export const CLUMIO_ROLE_IDS = {
  superAdmin: '00000000-0000-4000-8000-000000000001',
  organizationalUnitAdmin: '00000000-0000-4000-8000-000000000002',
  backupAdmin: '00000000-0000-4000-8000-000000000003',
  helpdeskAdmin: '00000000-0000-4000-8000-000000000004',
  reportingAdmin: '00000000-0000-4000-8000-000000000005',
} as const

export interface ClumioRole {
  id: string
  name: string
  description: string
  permissions: readonly string[]
}

/** The built-in roles (PRODUCTS.md §2, C4); read-only, as in the product. */
export const CLUMIO_ROLES: readonly ClumioRole[] = [
  {
    id: CLUMIO_ROLE_IDS.superAdmin,
    name: 'Super Admin',
    description: 'Full access to every organizational unit and setting.',
    permissions: [],
  },
  {
    id: CLUMIO_ROLE_IDS.organizationalUnitAdmin,
    name: 'Organizational Unit Admin',
    description: 'Manages the organizational units it is assigned to.',
    permissions: [],
  },
  {
    id: CLUMIO_ROLE_IDS.backupAdmin,
    name: 'Backup Admin',
    description: 'Manages backups and restores.',
    permissions: [],
  },
  {
    id: CLUMIO_ROLE_IDS.helpdeskAdmin,
    name: 'Helpdesk Admin',
    description: 'Manages users and their access.',
    permissions: [],
  },
  {
    id: CLUMIO_ROLE_IDS.reportingAdmin,
    name: 'Reporting Admin',
    description: 'Reads reports and audit logs.',
    permissions: [],
  },
]

export function findRole(id: string): ClumioRole | undefined {
  return CLUMIO_ROLES.find((role) => role.id === id)
}

// Role assignments: a user's `access_control_configuration` and a rule's `provision`.

/** One role on one or more OUs (PRODUCTS.md §2, C2). */
export interface AccessControlEntry {
  role_id: string
  organizational_unit_ids: string[]
}

/** One entry per role, each OU once, entries without OUs dropped; order of first mention. */
export function normalizeAccess(entries: readonly AccessControlEntry[]): AccessControlEntry[] {
  const byRole = new Map<string, string[]>()
  for (const entry of entries) {
    const units = byRole.get(entry.role_id) ?? []
    for (const id of entry.organizational_unit_ids) if (!units.includes(id)) units.push(id)
    byRole.set(entry.role_id, units)
  }
  return [...byRole]
    .filter(([, units]) => units.length > 0)
    .map(([role_id, organizational_unit_ids]) => ({ role_id, organizational_unit_ids }))
}

/** Drops each listed (role, OU) pair; pairs that are not there are ignored. */
export function removeAccess(
  current: readonly AccessControlEntry[],
  remove: readonly AccessControlEntry[],
): AccessControlEntry[] {
  const dropped = (roleId: string, unitId: string) =>
    remove.some(
      (entry) => entry.role_id === roleId && entry.organizational_unit_ids.includes(unitId),
    )
  return normalizeAccess(
    current.map((entry) => ({
      role_id: entry.role_id,
      organizational_unit_ids: entry.organizational_unit_ids.filter(
        (unitId) => !dropped(entry.role_id, unitId),
      ),
    })),
  )
}

export function holdsRole(access: readonly AccessControlEntry[], roleId: string, unitId?: string) {
  return access.some(
    (entry) =>
      entry.role_id === roleId &&
      (unitId === undefined || entry.organizational_unit_ids.includes(unitId)),
  )
}

export function readAccessEntries(value: unknown, key: string): AccessControlEntry[] {
  if (value === undefined || value === null) return []
  const shape = `${key} must be an array of {role_id, organizational_unit_ids: [string, …]}`
  if (!Array.isArray(value)) throw badRequest('invalid_request', shape)
  return value.map((entry: unknown) => {
    if (!isRecord(entry) || typeof entry.role_id !== 'string')
      throw badRequest('invalid_request', shape)
    const units: unknown = entry.organizational_unit_ids
    if (
      !Array.isArray(units) ||
      units.length === 0 ||
      !units.every((unit): unit is string => typeof unit === 'string')
    )
      throw badRequest('invalid_request', shape)
    return { role_id: entry.role_id, organizational_unit_ids: [...units] }
  })
}

/** Unknown role or OU ids → 400, before anything is stored. */
export function checkAccessReferences(
  entries: readonly AccessControlEntry[],
  isOrganizationalUnit: (id: string) => boolean,
): void {
  for (const entry of entries) {
    if (!findRole(entry.role_id))
      throw badRequest('unknown_reference', `No role with id ${entry.role_id}`)
    const unknown = entry.organizational_unit_ids.find((id) => !isOrganizationalUnit(id))
    if (unknown !== undefined)
      throw badRequest('unknown_reference', `No organizational unit with id ${unknown}`)
  }
}
