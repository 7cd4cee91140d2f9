import type { Router } from 'express'
import { toNativeMembership } from './native-routes.ts'
import { parseOrgPatch } from './org.ts'
import type { InfisicalStore } from './store.ts'

/** `/_sim` hooks: what happens outside the API (a user finishing setup, an admin's settings). */
export function mountInfisicalHooks(router: Router, store: InfisicalStore): void {
  // The invitee signs in and makes their encryption keys: the membership is accepted.
  router.post('/users/:membershipId/complete-setup', (req, res) => {
    const member = store.members.completeSetup(req.params.membershipId ?? '')
    res.json({ membership: toNativeMembership(member) })
  })
  router.patch('/org', (req, res) => {
    res.json({ org: store.org.update(parseOrgPatch(req.body)) })
  })
}
