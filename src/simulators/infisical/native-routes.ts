import type { Request, Router } from 'express'
import { isEmail, isRecord } from '../common/body.ts'
import { forbidden, notFound, validationFailure } from './errors.ts'
import type { Member } from './members.ts'
import { readOrigin } from './scim.ts'
import type { InfisicalStore } from './store.ts'

/** A membership as the organisation APIs answer it. */
export function toNativeMembership({ membership, user }: Member) {
  return {
    id: membership.id,
    role: membership.role,
    roleId: null,
    status: membership.status,
    inviteEmail: user.email,
    isActive: membership.isActive,
    user: {
      id: user.id,
      username: user.username,
      email: user.email,
      firstName: user.firstName,
      lastName: user.lastName,
    },
  }
}

/** The caller's org permission is checked against the org in the path. */
export function requireOrg(store: InfisicalStore, orgId: unknown): void {
  if (orgId !== store.org.get().id) throw forbidden('You are not allowed to access this resource')
}

function readMember(req: Request, store: InfisicalStore): Member {
  requireOrg(store, req.params.orgId)
  const id = String(req.params.membershipId)
  const member = store.members.find(id)
  if (!member) throw notFound(`Organization membership with ID '${id}' not found`)
  return member
}

/** Built-in roles, or a custom role's slug. */
const ROLE_SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/

function readMembershipPatch(body: unknown): { role?: string; isActive?: boolean } {
  if (!isRecord(body)) throw validationFailure('Expected a JSON object')
  const { role, isActive } = body
  if (role !== undefined && (typeof role !== 'string' || !ROLE_SLUG.test(role)))
    throw validationFailure('role must be a role slug')
  if (isActive !== undefined && typeof isActive !== 'boolean')
    throw validationFailure('isActive must be a boolean')
  return { role, isActive }
}

interface InviteBody {
  inviteeEmails: string[]
  organizationId: unknown
  organizationRoleSlug: string
}

function readInviteBody(body: unknown): InviteBody {
  if (!isRecord(body)) throw validationFailure('Expected a JSON object')
  const emails: unknown = body.inviteeEmails
  if (!Array.isArray(emails) || !emails.every(isEmail))
    throw validationFailure('inviteeEmails must be an array of emails')
  if (!emails.every((email) => email === email.toLowerCase()))
    throw validationFailure('Email must be lowercase')
  const role = body.organizationRoleSlug ?? 'member'
  if (typeof role !== 'string' || !ROLE_SLUG.test(role))
    throw validationFailure('organizationRoleSlug must be a role slug')
  return { inviteeEmails: emails, organizationId: body.organizationId, organizationRoleSlug: role }
}

/** The organisation-membership API, relative to `/api`; a user token only. */
export function mountNativeRoutes(router: Router, store: InfisicalStore): void {
  const all = () => ({ users: store.members.list().map(toNativeMembership) })

  router.get('/v1/organization/:orgId/users', (req, res) => {
    requireOrg(store, req.params.orgId)
    res.json(all())
  })

  router.get('/v2/organizations/:orgId/memberships', (req, res) => {
    requireOrg(store, req.params.orgId)
    res.json(all())
  })

  router.get('/v2/organizations/:orgId/memberships/:membershipId', (req, res) => {
    res.json({ membership: toNativeMembership(readMember(req, store)) })
  })

  router.patch('/v2/organizations/:orgId/memberships/:membershipId', (req, res) => {
    const { membership } = readMember(req, store)
    const member = store.members.setMembership(membership.id, readMembershipPatch(req.body))
    res.json({ membership: toNativeMembership(member) })
  })

  router.delete('/v2/organizations/:orgId/memberships/:membershipId', (req, res) => {
    const { membership } = readMember(req, store)
    res.json({ membership: toNativeMembership(store.deleteMembership(membership.id)) })
  })

  router.post('/v1/invite-org/signup', (req, res) => {
    const body = readInviteBody(req.body)
    requireOrg(store, body.organizationId)
    const origin = readOrigin(req)
    const completeInviteLinks = body.inviteeEmails.map((email) => {
      const member = store.members.invite(email, body.organizationRoleSlug)
      const query = new URLSearchParams({
        token: member.membership.id.replace(/-/g, ''),
        to: email,
        organization_id: store.org.get().id,
      })
      return { email, link: `${origin}/signupinvite?${query.toString()}` }
    })
    res.json({
      message: `Send an invite link to ${body.inviteeEmails.join(', ')}`,
      completeInviteLinks,
    })
  })
}
