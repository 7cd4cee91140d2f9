import type { DeletePolicy } from './profile.ts'
import type { IgnoredChange } from './rules.ts'
import { resolveAttributePath } from '../scim/attribute-paths.ts'
import type { JsonValue, ScimResource } from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'
import type { Link } from '../store/links.ts'
import type { UpstreamCall } from './upstream-client.ts'

/** Where the product put a user: its native id and, for SCIM products, the SCIM id to keep. */
export interface ProductUser {
  nativeId: string
  /** Proxy mode keeps the product's ids; translate mode leaves the gateway's own. */
  id?: string
}

/**
 * How one product is called. The linked service does everything else — validation, rules,
 * the claim protocol, the link store — so an adapter only speaks the product's API.
 */
export interface ProductAdapter {
  create(view: ScimResource, calls: UpstreamCall[]): Promise<ProductUser>
  /** Finds a user by the product's key (reconciling claims); undefined when there is none. */
  findByKey(view: ScimResource, calls: UpstreamCall[]): Promise<ProductUser | undefined>
  /** Sends what changed from `before` to `after`; returns the changes it could not send. */
  update(
    link: Link,
    before: ScimResource,
    after: ScimResource,
    calls: UpstreamCall[],
  ): Promise<IgnoredChange[]>
  /** Brings back a user the IdP deleted (or the product holds inactive). */
  reactivate(link: Link, view: ScimResource, calls: UpstreamCall[]): Promise<ProductUser>
  delete(link: Link, policy: DeletePolicy, calls: UpstreamCall[]): Promise<void>
  /** Attributes of a new user the product does not take (kept in the view, not sent). */
  ignoredOnCreate?(view: ScimResource): IgnoredChange[]
}

/** Attribute paths (top level, one level into complex values) whose values differ. */
export function changedAttributes(before: ScimResource, after: ScimResource): string[] {
  const changed: string[] = []
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  for (const key of keys) {
    const a = before[key]
    const b = after[key]
    if (JSON.stringify(a) === JSON.stringify(b)) continue
    // A complex value on one side and nothing on the other is compared key by key too.
    const complex = (v: JsonValue | undefined) => v === undefined || isJsonObject(v)
    if (complex(a) && complex(b)) {
      const left = isJsonObject(a) ? a : {}
      const right = isJsonObject(b) ? b : {}
      const sep = key.startsWith('urn:') ? ':' : '.'
      for (const k of new Set([...Object.keys(left), ...Object.keys(right)])) {
        if (JSON.stringify(left[k]) !== JSON.stringify(right[k])) changed.push(`${key}${sep}${k}`)
      }
    } else {
      changed.push(key)
    }
  }
  return changed
}

function copyPath(from: JsonValue | undefined, to: ScimResource, keys: readonly string[]): void {
  const [key, ...rest] = keys
  if (key === undefined || !isJsonObject(from) || from[key] === undefined) return
  if (rest.length === 0) {
    to[key] = from[key]
    return
  }
  const inner = isJsonObject(to[key]) ? to[key] : {}
  copyPath(from[key], inner, rest)
  if (Object.keys(inner).length > 0) to[key] = inner
}

/**
 * The part of a view made of the given attribute paths (`userName`, `name.givenName`,
 * `urn:…:User:department`): what a product that holds only those attributes is sent.
 */
export function pickAttributes(view: ScimResource, paths: readonly string[]): ScimResource {
  const picked: ScimResource = {}
  for (const path of paths) {
    const resolved = resolveAttributePath('User', path)
    if (resolved) copyPath(view, picked, resolved.keys)
  }
  return picked
}

/** Whether a changed path (from changedAttributes) touches one of the held attributes. */
export function touchesAttributes(path: string, held: readonly string[]): boolean {
  return held.some((a) => a === path || a.startsWith(`${path}.`) || path.startsWith(`${a}.`))
}
