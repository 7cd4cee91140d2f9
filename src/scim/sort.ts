import { resolveAttributePath } from './attribute-paths.ts'
import type { JsonValue, ResourceType, ScimResource, SortOrder } from './types.ts'
import { isJsonObject } from './types.ts'

/** Reads the value a sort compares; a multi-valued attribute sorts by its primary (or first) value (RFC 7644 §3.4.2.3). */
function sortValue(resource: ScimResource, keys: readonly string[]): JsonValue | undefined {
  let current: JsonValue | undefined = resource
  for (const key of keys) {
    if (Array.isArray(current)) {
      const items: JsonValue[] = current
      current = items.find((i) => isJsonObject(i) && i.primary === true) ?? items[0]
    }
    if (!isJsonObject(current)) return undefined
    const match = Object.keys(current).find((k) => k.toLowerCase() === key.toLowerCase())
    current = match === undefined ? undefined : current[match]
  }
  if (Array.isArray(current)) {
    const items: JsonValue[] = current
    const first = items.find((i) => isJsonObject(i) && i.primary === true) ?? items[0]
    current = isJsonObject(first) ? first.value : first
  }
  return current ?? undefined
}

/**
 * RFC 7644 §3.4.2.3: sorts by `sortBy`, case-insensitively where the attribute is not
 * caseExact; resources without a value "are ordered last if ascending and first if
 * descending". Stable for equal values.
 */
export function sortResources(
  type: ResourceType,
  resources: readonly ScimResource[],
  sortBy: string,
  sortOrder: SortOrder,
): ScimResource[] {
  const resolved = resolveAttributePath(type, sortBy)
  if (!resolved) return [...resources]
  const definition = resolved.subAttribute ?? resolved.attribute
  const direction = sortOrder === 'descending' ? -1 : 1
  const keyed = resources.map((resource, index) => {
    const raw = sortValue(resource, resolved.keys)
    const value =
      typeof raw === 'string' && !definition.caseExact ? raw.toLowerCase() : (raw ?? undefined)
    return { resource, index, value }
  })
  keyed.sort((a, b) => {
    if (a.value === undefined || a.value === null)
      return b.value === undefined || b.value === null ? a.index - b.index : direction
    if (b.value === undefined || b.value === null) return -direction
    const order = a.value < b.value ? -1 : a.value > b.value ? 1 : 0
    return order === 0 ? a.index - b.index : order * direction
  })
  return keyed.map((k) => k.resource)
}
