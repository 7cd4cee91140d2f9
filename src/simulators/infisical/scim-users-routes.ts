import type { Request, Router } from 'express'
import { readQuery } from '../common/body.ts'
import { badRequest } from './errors.ts'
import { pageOf, parseUserFilter, readPaging } from './list.ts'
import { membershipNotFound, type Member } from './members.ts'
import { readOrigin, sendScim, toListResponse, toScimUser } from './scim.ts'
import {
  applyUserPatch,
  readPatchOperations,
  readUserBody,
  type ScimUserView,
} from './scim-input.ts'
import type { InfisicalStore } from './store.ts'

function readMember(req: Request, store: InfisicalStore): Member {
  const member = store.members.find(String(req.params.id))
  if (!member) throw membershipNotFound()
  return member
}

function viewOf(member: Member): ScimUserView {
  return {
    userName: member.membership.externalId ?? member.user.username,
    givenName: member.user.firstName,
    familyName: member.user.lastName,
    email: member.user.email,
    active: member.membership.isActive,
  }
}

/** Infisical's SCIM `/Users`, relative to `/api/v1/scim`; ids are org membership ids. */
export function mountScimUserRoutes(router: Router, store: InfisicalStore): void {
  router.get('/Users', (req, res) => {
    const matches = parseUserFilter(readQuery(req.query.filter))
    const paging = readPaging(req)
    const found = store.members.list().filter((member) => !matches || matches(member))
    const origin = readOrigin(req)
    const page = pageOf(found, paging).map((member) => toScimUser(member, origin))
    sendScim(res, toListResponse(page, paging.startIndex, paging.count))
  })

  router.post('/Users', (req, res) => {
    const body = readUserBody(req.body)
    if (!body.email) throw badRequest('Invalid request. Missing email.')
    const member = store.members.provision({
      externalId: body.userName,
      email: body.email,
      firstName: body.firstName ?? '',
      lastName: body.lastName ?? '',
      active: body.active ?? true,
    })
    sendScim(res, toScimUser(member, readOrigin(req)))
  })

  router.get('/Users/:id', (req, res) => {
    sendScim(res, toScimUser(readMember(req, store), readOrigin(req)))
  })

  router.put('/Users/:id', (req, res) => {
    const before = readMember(req, store)
    const body = readUserBody(req.body)
    const member = store.members.update(before.membership.id, {
      externalId: body.userName,
      isActive: body.active,
      firstName: body.firstName,
      lastName: body.lastName,
      email: body.email,
    })
    // Infisical renders the reply from the membership it read before writing.
    sendScim(res, toScimUser(member, readOrigin(req), { email: before.user.email }))
  })

  router.patch('/Users/:id', (req, res) => {
    const before = readMember(req, store)
    const view = applyUserPatch(viewOf(before), readPatchOperations(req.body))
    // The patched userName is answered but not stored: only PUT moves the alias.
    const member = store.members.update(before.membership.id, {
      isActive: view.active,
      firstName: view.givenName,
      lastName: view.familyName,
      email: view.email,
    })
    sendScim(res, toScimUser(member, readOrigin(req), { userName: view.userName }))
  })

  router.delete('/Users/:id', (req, res) => {
    store.deleteMembership(readMember(req, store).membership.id)
    sendScim(res, {})
  })
}
