import type { LinkClaims } from '../store/link-claims.ts'
import type { Link } from '../store/links.ts'
import type { ProductAdapter } from './product-adapter.ts'
import type { ConnectorProfile } from './profile.ts'
import type { UpstreamCall } from './upstream-client.ts'

/** How long a create may take with every retry of its product call: a claim older is presumed lost. */
export function claimTtlOf(profile: ConnectorProfile): number {
  return profile.limits.timeoutMs * (profile.limits.maxRetries + 1) + 5_000
}

/**
 * Settles a pending claim whose create's outcome was never learned, by the product's key:
 * the product has the user → the link is confirmed; it does not → the claim is released.
 * Returns the confirmed link, or undefined when released.
 */
export async function reconcileClaim(
  link: Link,
  adapter: ProductAdapter,
  claims: LinkClaims,
  calls: UpstreamCall[],
  now: string,
  productState?: string,
): Promise<Link | undefined> {
  const found = await adapter.findByKey(link.scim, calls)
  if (!found) {
    await claims.release(link, false, now)
    return undefined
  }
  return claims.confirm(link, found.nativeId, link.scim, now, found.id ?? link.id, productState)
}
