import type { GroupService } from './group-service.ts'
import { PermanentJobError, type JobResult } from './job-results.ts'
import type { UpstreamCall } from './upstream-client.ts'

/**
 * The group-push job: sends a group's stored name and whole member set to the product that
 * holds it, after a change the product took could not be stored by the gateway. The gateway's
 * state is what the IdP was told; the product is brought back to it.
 */
export function createGroupPush(groups: GroupService) {
  return async function run(
    payload: Record<string, unknown>,
    calls: UpstreamCall[],
  ): Promise<JobResult> {
    if (typeof payload.id !== 'string') throw new PermanentJobError('payload needs the group id')
    const note = await groups.push(payload.id, calls)
    return note === undefined
      ? { outcome: 'skipped', note: 'the group is gone' }
      : { outcome: 'done', note }
  }
}
