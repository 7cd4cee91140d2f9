import { invalidValue } from '../scim/errors.ts'

const GUID = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i

/** Whether a group name is a bare GUID (an object id standing in for a display name). */
export function isGuidName(name: unknown): boolean {
  return typeof name === 'string' && GUID.test(name.trim())
}

/**
 * Refuses a group named by a bare GUID. Products whose access rules match group names (Clumio)
 * stop matching once an IdP sends object ids: the symptom of Entra's `mailNickname` mapping.
 */
export function checkGroupName(name: unknown, product: string): void {
  if (!isGuidName(name)) return
  throw invalidValue(
    `Group displayName ${JSON.stringify(name)} is a bare GUID. ${product} matches access rules ` +
      `by group name, so a group named by its object id would stop granting access. In Entra ID, ` +
      `remove mailNickname from the Users attribute mapping and keep displayName as the group's ` +
      `name (${product}'s SCIM guide); then provision the group again.`,
  )
}
