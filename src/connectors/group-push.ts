import type { GroupMemberStore } from '../store/group-members.ts'
import type { LinkStore } from '../store/links.ts'
import type { GroupAdapter } from './group-service.ts'
import { PermanentJobError, type JobResult } from './job-results.ts'
import type { UpstreamCall } from './upstream-client.ts'

/**
 * The group-push job: sends a group's stored name and whole member set to the product that
 * holds it, after a change the product took could not be stored by the gateway. The gateway's
 * state is what the IdP was told; the product is brought back to it.
 */
export function createGroupPush(
  key: string,
  adapter: GroupAdapter,
  links: LinkStore,
  members: GroupMemberStore,
) {
  return async function run(
    payload: Record<string, unknown>,
    calls: UpstreamCall[],
  ): Promise<JobResult> {
    if (typeof payload.id !== 'string') throw new PermanentJobError('payload needs the group id')
    const link = await links.findById(key, 'Group', payload.id)
    if (!link) return { outcome: 'skipped', note: 'the group is gone' }
    const held = (await members.membersOf(key, [link.id])).map((m) => m.memberId)
    await adapter.update(
      link.nativeId ?? link.id,
      { ...(link.displayName ? { displayName: link.displayName } : {}), members: held },
      calls,
    )
    return { outcome: 'done', note: `sent ${held.length} members` }
  }
}
