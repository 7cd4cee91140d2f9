import { isRecord } from '../common/body.ts'
import { badRequest, conflict, notFound } from './errors.ts'

/** Deterministic, UUID-shaped OU ids: Global is 0, seeded and created OUs count up from 1. */
export function clumioOrganizationalUnitId(index: number): string {
  return `00000000-0000-4000-9000-${String(index).padStart(12, '0')}`
}

/** The root OU; Super Admin rules target it (PRODUCTS.md §2, C5). */
export const CLUMIO_GLOBAL_OU_ID = clumioOrganizationalUnitId(0)

export interface ClumioOrganizationalUnit {
  id: string
  name: string
  description: string
  parent_id: string | null
}

export interface OrganizationalUnitInput {
  name: string
  description: string
  parent_id: string
}

export type OrganizationalUnitChanges = Partial<
  Pick<ClumioOrganizationalUnit, 'name' | 'description'>
>

export interface ClumioOrganizationalUnits {
  find(id: string): ClumioOrganizationalUnit | undefined
  /** Global first, then in creation order. */
  list(): ClumioOrganizationalUnit[]
  create(input: OrganizationalUnitInput): ClumioOrganizationalUnit
  update(id: string, changes: OrganizationalUnitChanges): ClumioOrganizationalUnit
  /** `inUseBy` names what still refers to the OU (users, rules), if anything. */
  remove(id: string, inUseBy: (id: string) => string | undefined): void
  reset(): void
}

export function organizationalUnitNotFound(id: string) {
  return notFound(`No organizational unit with id ${id}`)
}

function readOptionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw badRequest('invalid_request', `${key} must be a string`)
  return value
}

function readName(body: Record<string, unknown>): string | undefined {
  const name = readOptionalString(body, 'name')
  if (name !== undefined && name.trim() === '')
    throw badRequest('invalid_request', 'name must not be empty')
  return name
}

/** `POST /organizational-units {name, description?, parent_id?}`; the parent defaults to Global. */
export function readOrganizationalUnitInput(body: unknown): OrganizationalUnitInput {
  if (!isRecord(body)) throw badRequest('invalid_request', 'Expected a JSON object')
  const name = readName(body)
  if (name === undefined) throw badRequest('invalid_request', 'name is required')
  return {
    name,
    description: readOptionalString(body, 'description') ?? '',
    parent_id: readOptionalString(body, 'parent_id') ?? CLUMIO_GLOBAL_OU_ID,
  }
}

/** `PATCH /organizational-units/{id} {name?, description?}`. */
export function readOrganizationalUnitChanges(body: unknown): OrganizationalUnitChanges {
  if (!isRecord(body)) throw badRequest('invalid_request', 'Expected a JSON object')
  const changes: OrganizationalUnitChanges = {}
  const name = readName(body)
  const description = readOptionalString(body, 'description')
  if (name !== undefined) changes.name = name
  if (description !== undefined) changes.description = description
  return changes
}

/** The OU tree: Global plus the seeded names (children of Global), and what the API adds. */
export function createOrganizationalUnits(seedNames: readonly string[]): ClumioOrganizationalUnits {
  let units = new Map<string, ClumioOrganizationalUnit>()
  let nextIndex = 1
  const copy = (unit: ClumioOrganizationalUnit): ClumioOrganizationalUnit => ({ ...unit })
  const findOrThrow = (id: string) => {
    const unit = units.get(id)
    if (!unit) throw organizationalUnitNotFound(id)
    return unit
  }
  const checkUniqueName = (name: string, exceptId?: string) => {
    const taken = [...units.values()].some(
      (unit) => unit.id !== exceptId && unit.name.toLowerCase() === name.toLowerCase(),
    )
    if (taken) throw conflict('already_exists', `An organizational unit named ${name} exists`)
  }
  const add = (input: OrganizationalUnitInput): ClumioOrganizationalUnit => {
    const unit = { id: clumioOrganizationalUnitId(nextIndex++), ...input }
    units.set(unit.id, unit)
    return unit
  }
  const reset = () => {
    const global = { id: CLUMIO_GLOBAL_OU_ID, name: 'Global', description: '', parent_id: null }
    units = new Map([[global.id, global]])
    nextIndex = 1
    for (const name of seedNames) add({ name, description: '', parent_id: CLUMIO_GLOBAL_OU_ID })
  }
  reset()

  return {
    find: (id) => {
      const unit = units.get(id)
      return unit && copy(unit)
    },
    list: () => [...units.values()].map(copy),
    create: (input) => {
      checkUniqueName(input.name)
      if (!units.has(input.parent_id))
        throw badRequest('unknown_reference', `No organizational unit with id ${input.parent_id}`)
      return copy(add(input))
    },
    update: (id, changes) => {
      const unit = findOrThrow(id)
      if (changes.name !== undefined) checkUniqueName(changes.name, id)
      Object.assign(unit, changes)
      return copy(unit)
    },
    remove: (id, inUseBy) => {
      const unit = findOrThrow(id)
      if (unit.parent_id === null)
        throw conflict('in_use', 'The Global organizational unit cannot be deleted')
      // Deleting would orphan children or leave users and rules pointing at nothing.
      const child = [...units.values()].find((candidate) => candidate.parent_id === id)
      const user = child ? `organizational unit ${child.name}` : inUseBy(id)
      if (user) throw conflict('in_use', `The organizational unit is still used by ${user}`)
      units.delete(id)
    },
    reset,
  }
}
