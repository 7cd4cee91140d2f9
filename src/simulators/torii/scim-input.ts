import { isEmail, isRecord, type JsonObject } from '../common/body.ts'
import { PATCH_SCHEMA } from './scim.ts'
import { scimError, type UserChanges } from './users.ts'

const CORE_PREFIX = 'urn:ietf:params:scim:schemas:core:2.0:user:'

function readString(value: unknown, attribute: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string')
    throw scimError(400, 'invalidValue', `${attribute} must be a string`)
  return value
}

function readBoolean(value: unknown, attribute: string): boolean | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean')
    throw scimError(400, 'invalidValue', `${attribute} must be a boolean`)
  return value
}

/** T3: empty or absent `userType` → undefined (Employee on create, unchanged on update). */
function readRole(value: unknown): string | undefined {
  const role = readString(value, 'userType')
  return role === '' ? undefined : role
}

function readName(value: unknown): Pick<UserChanges, 'givenName' | 'familyName'> {
  if (value === undefined || value === null) return {}
  if (!isRecord(value)) throw scimError(400, 'invalidValue', 'name must be an object')
  return {
    givenName: readString(value.givenName, 'name.givenName'),
    familyName: readString(value.familyName, 'name.familyName'),
  }
}

/**
 * A POST or PUT body. Attributes Torii does not hold (emails, externalId, …) are ignored:
 * Torii derives `emails` from `userName`.
 */
export function readUserBody(body: unknown): UserChanges & { userName: string } {
  if (!isRecord(body)) throw scimError(400, 'invalidSyntax', 'Expected a SCIM User object')
  // T3: userName is required and must be an email with a valid domain.
  if (!isEmail(body.userName))
    throw scimError(400, 'invalidValue', 'userName is required and must be a valid email address')
  return {
    userName: body.userName,
    ...readName(body.name),
    role: readRole(body.userType),
    active: readBoolean(body.active, 'active'),
  }
}

/** One `path` (or path-less key) and its value, into `changes`. */
function applyPath(changes: UserChanges, path: string, value: unknown): void {
  const key = path.toLowerCase().replace(CORE_PREFIX, '')
  if (key === 'active') changes.active = readBoolean(value, 'active')
  else if (key === 'usertype') changes.role = readRole(value)
  else if (key === 'name.givenname') changes.givenName = readString(value, 'name.givenName')
  else if (key === 'name.familyname') changes.familyName = readString(value, 'name.familyName')
  else if (key === 'name') Object.assign(changes, stripUndefined(readName(value)))
  else if (key === 'username') changes.userName = readString(value, 'userName')
  else throw scimError(400, 'invalidPath', `Unsupported attribute path "${path}"`)
}

function stripUndefined(value: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined))
}

/** RFC 7644 §3.5.2 PatchOp, limited to what Torii documents (T6): add/replace. */
export function readPatchBody(body: unknown): UserChanges {
  if (!isRecord(body) || !Array.isArray(body.Operations))
    throw scimError(400, 'invalidSyntax', 'Expected a PatchOp with Operations')
  if (Array.isArray(body.schemas) && !body.schemas.includes(PATCH_SCHEMA))
    throw scimError(400, 'invalidSyntax', `schemas must contain ${PATCH_SCHEMA}`)
  const changes: UserChanges = {}
  for (const operation of body.Operations) {
    if (!isRecord(operation) || typeof operation.op !== 'string')
      throw scimError(400, 'invalidSyntax', 'Each operation needs an op')
    const op = operation.op.toLowerCase()
    if (op !== 'add' && op !== 'replace')
      throw scimError(400, 'invalidValue', `Unsupported operation "${operation.op}"`)
    if (typeof operation.path === 'string') applyPath(changes, operation.path, operation.value)
    else if (isRecord(operation.value))
      for (const [key, value] of Object.entries(operation.value)) applyPath(changes, key, value)
    else throw scimError(400, 'invalidSyntax', 'A path-less operation needs an object value')
  }
  return changes
}
