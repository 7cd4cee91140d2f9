import type { DeletePolicy } from './profile.ts'
import type { IgnoredChange } from './rules.ts'
import type { ScimResource } from '../scim/types.ts'
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
}

/** Attribute paths (top level, one level into complex values) whose values differ. */
export function changedAttributes(before: ScimResource, after: ScimResource): string[] {
  const changed: string[] = []
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  for (const key of keys) {
    const a = before[key]
    const b = after[key]
    if (JSON.stringify(a) === JSON.stringify(b)) continue
    const isObject = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v)
    if (isObject(a) && isObject(b)) {
      const inner = new Set([...Object.keys(a), ...Object.keys(b)])
      const sep = key.startsWith('urn:') ? ':' : '.'
      for (const k of inner)
        if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) changed.push(`${key}${sep}${k}`)
    } else {
      changed.push(key)
    }
  }
  return changed
}
