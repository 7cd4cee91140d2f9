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

// One run looks at this many invited users; the next run takes the rest.
const BATCH = 100

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

  return async function run(calls: UpstreamCall[]): Promise<JobResult> {
    const ids = await options.states.list(options.key, INVITED, BATCH)
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
