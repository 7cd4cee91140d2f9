import { isEmail, isRecord, type JsonObject } from '../common/body.ts'
import { badRequest } from './errors.ts'

/** A SCIM User body (POST or PUT) as Infisical reads it; `undefined` = not given. */
export interface ScimUserBody {
  userName: string
  /** The value of the email marked `primary: true`. */
  email: string | undefined
  firstName: string | undefined
  lastName: string | undefined
  active: boolean | undefined
}

/** The SCIM attributes a user PATCH can reach, before it is written back. */
export interface ScimUserView {
  userName: string
  givenName: string
  familyName: string
  email: string
  active: boolean
}

export type PatchOpName = 'add' | 'replace' | 'remove'

export interface PatchOperation {
  op: PatchOpName
  path: string | undefined
  value: unknown
}

const USER_URN_PREFIX = 'urn:ietf:params:scim:schemas:core:2.0:user:'
/** Infisical's route schema lists these spellings, no others. */
const OP_NAMES: ReadonlyMap<unknown, PatchOpName> = new Map<unknown, PatchOpName>([
  ['add', 'add'],
  ['Add', 'add'],
  ['replace', 'replace'],
  ['Replace', 'replace'],
  ['remove', 'remove'],
  ['Remove', 'remove'],
])
const USER_PATHS = new Set([
  'active',
  'username',
  'name',
  'name.givenname',
  'name.familyname',
  'emails',
  'emails[type eq "work"].value',
])

function userPathKey(path: string): string {
  const key = path.toLowerCase().replace(USER_URN_PREFIX, '')
  if (!USER_PATHS.has(key)) throw badRequest(`Unsupported attribute path "${path}"`)
  return key
}

function readString(value: unknown, attribute: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw badRequest(`${attribute} must be a string`)
  return value.trim()
}

/** Entra sends `"False"` as a string; Infisical's database takes it as the boolean. */
function readActive(value: unknown): boolean {
  if (typeof value === 'boolean') return value
  if (typeof value === 'string' && /^(true|false)$/i.test(value))
    return value.toLowerCase() === 'true'
  throw badRequest('active must be a boolean')
}

function readName(value: unknown): { firstName?: string; lastName?: string } {
  if (value === undefined || value === null) return {}
  if (!isRecord(value)) throw badRequest('name must be an object')
  return {
    firstName: readString(value.givenName, 'name.givenName'),
    lastName: readString(value.familyName, 'name.familyName'),
  }
}

function readEmails(value: unknown): { primary: boolean; value: string }[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw badRequest('emails must be an array')
  return value.map((entry: unknown) => {
    if (!isRecord(entry) || !isEmail(entry.value))
      throw badRequest('Each email needs a valid email value')
    return { primary: entry.primary === true, value: entry.value }
  })
}

export function readUserBody(body: unknown): ScimUserBody {
  if (!isRecord(body)) throw badRequest('Expected a SCIM User object')
  const userName = readString(body.userName, 'userName')
  if (!userName) throw badRequest('userName is required')
  const name = readName(body.name)
  return {
    userName,
    email: readEmails(body.emails).find((email) => email.primary)?.value,
    firstName: name.firstName,
    lastName: name.lastName,
    active: body.active === undefined || body.active === null ? undefined : readActive(body.active),
  }
}

/** RFC 7644 §3.5.2 PatchOp `Operations`, with the op spellings Infisical accepts. */
export function readPatchOperations(body: unknown): PatchOperation[] {
  if (!isRecord(body) || !Array.isArray(body.Operations))
    throw badRequest('Expected a PatchOp with Operations')
  return body.Operations.map((operation: unknown) => {
    const op = isRecord(operation) ? OP_NAMES.get(operation.op) : undefined
    if (!isRecord(operation) || !op)
      throw badRequest('Each operation needs op add, replace or remove')
    const path = readString(operation.path, 'path')
    if (op === 'remove' && !path) throw badRequest('A remove operation needs a path')
    return { op, path, value: operation.value }
  })
}

/** The email a `emails` value designates: the primary one, else the first. */
function emailFromList(value: unknown): string {
  const emails = readEmails(value)
  const chosen = emails.find((email) => email.primary) ?? emails[0]
  if (!chosen) throw badRequest('emails must hold an email')
  return chosen.value
}

function setUserPath(view: ScimUserView, path: string, value: unknown): ScimUserView {
  const key = userPathKey(path)
  if (key === 'active') return { ...view, active: readActive(value) }
  if (key === 'username') return { ...view, userName: readString(value, 'userName') ?? '' }
  if (key === 'name.givenname') return { ...view, givenName: readString(value, path) ?? '' }
  if (key === 'name.familyname') return { ...view, familyName: readString(value, path) ?? '' }
  if (key === 'name') {
    const name = readName(value)
    return {
      ...view,
      givenName: name.firstName ?? view.givenName,
      familyName: name.lastName ?? view.familyName,
    }
  }
  if (key === 'emails[type eq "work"].value') {
    if (!isEmail(value)) throw badRequest(`${path} must be an email`)
    return { ...view, email: value }
  }
  return { ...view, email: emailFromList(value) }
}

function setUserObject(view: ScimUserView, value: JsonObject): ScimUserView {
  return Object.entries(value).reduce((next, [key, item]) => setUserPath(next, key, item), view)
}

/**
 * Applies a user PatchOp to the SCIM view. Removing a name, `active` or `userName` changes
 * nothing stored (Infisical writes undefined columns as untouched); an email cannot be removed.
 */
export function applyUserPatch(
  view: ScimUserView,
  operations: readonly PatchOperation[],
): ScimUserView {
  return operations.reduce((current, { op, path, value }) => {
    if (op === 'remove') {
      if (userPathKey(path ?? '').startsWith('emails'))
        throw badRequest('The email cannot be removed')
      return current
    }
    if (path) return setUserPath(current, path, value)
    if (!isRecord(value)) throw badRequest('An operation without a path needs an object value')
    return setUserObject(current, value)
  }, view)
}
