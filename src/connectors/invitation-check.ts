import type { Secret } from '../config/secret.ts'
import type { LinkStore } from '../store/links.ts'
import type { ProductStates } from '../store/product-states.ts'
import type { JobResult } from './job-results.ts'
import { parseTemplate, renderPath } from './mapping.ts'
import { readNativeField, type ConnectorProfile } from './profile.ts'
import type { InvitationSpec } from './profile-schema.ts'
import { requireSuccess, type UpstreamCall, type UpstreamClient } from './upstream-client.ts'

/** The state a new user of such a product is recorded in until setup is complete. */
export const INVITED = 'invited'

// One run looks at this many invited users (each a call within the connection's budget); the
// next run takes the ones after them, and after the last, the first again.
const BATCH = 20

export interface InvitationCheckOptions {
  key: string
  profile: ConnectorProfile
  invitations: InvitationSpec
  /** The connection's read credential for the membership API. */
  secret: Secret
  settings: Readonly<Record<string, unknown>>
  client: UpstreamClient
  links: LinkStore
  states: ProductStates
  describeError: (body: unknown) => string | undefined
}

/**
 * The invitation-check job: asks the product, with the connection's read credential, whether
 * invited users have finished setting up their accounts, and clears those that have.
 */
export function createInvitationCheck(options: InvitationCheckOptions) {
  const { invitations, profile, client } = options
  const path = parseTemplate(invitations.check.path, 'User', profile.maps).template
  const field = invitations.check.field.split('.')

  // Where the last run stopped: users that never finish setup cannot hold back newer ones.
  let after = 0

  return async function run(calls: UpstreamCall[]): Promise<JobResult> {
    const batch = await options.states.list(options.key, INVITED, BATCH, after)
    after = batch.length < BATCH ? 0 : (batch.at(-1)?.seq ?? 0)
    const ids = batch.map((b) => b.id)
    let done = 0
    for (const id of ids) {
      const link = await options.links.findById(options.key, 'User', id)
      if (!link?.nativeId) continue
      const response = await client.send(
        {
          method: 'GET',
          path: renderPath(path, {
            resource: link.scim,
            id: link.nativeId,
            settings: options.settings,
            maps: profile.maps,
          }),
          headers: { authorization: `Bearer ${options.secret.reveal()}` },
          idempotent: true,
        },
        calls,
      )
      if (response.status === 404) continue
      // The optional read credential, not the connection's own: its refusal is this job's
      // failure, retried, and does not mark the connection misconfigured.
      if (response.status === 401 || response.status === 403)
        throw new Error(
          `${profile.product} refused the membership read credential (${response.status}); check secrets.${invitations.check.secret}`,
        )
      requireSuccess(client, response, options.describeError, 'membership')
      if (readNativeField(response.body, field) === invitations.check.done) {
        await options.states.set(options.key, id, null)
        done++
      }
    }
    return {
      outcome: 'done',
      note:
        ids.length === 0
          ? 'no invited users'
          : `${done} of ${ids.length} invited users finished setting up their account`,
    }
  }
}
