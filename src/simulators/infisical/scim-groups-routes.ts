import type { Request, Router } from 'express'
import { readQuery } from '../common/body.ts'
import { applyGroupPatch, readGroupBody } from './group-input.ts'
import { groupNotFound, type StoredGroup } from './groups.ts'
import { pageOf, parseGroupFilter, readPaging } from './list.ts'
import { readOrigin, sendScim, toListResponse, toScimGroup } from './scim.ts'
import { readPatchOperations } from './scim-input.ts'
import type { InfisicalStore } from './store.ts'

function readGroup(req: Request, store: InfisicalStore): StoredGroup {
  const group = store.groups.find(String(req.params.id))
  if (!group) throw groupNotFound()
  return group
}

/** Infisical's SCIM `/Groups`, relative to `/api/v1/scim`; members are org membership ids. */
export function mountScimGroupRoutes(router: Router, store: InfisicalStore): void {
  const render = (req: Request, group: StoredGroup) =>
    toScimGroup(group, (id) => store.members.find(id), readOrigin(req))

  router.get('/Groups', (req, res) => {
    const matches = parseGroupFilter(readQuery(req.query.filter))
    const paging = readPaging(req)
    const found = store.groups.list().filter((group) => !matches || matches(group))
    const page = pageOf(found, paging).map((group) => render(req, group))
    sendScim(res, toListResponse(page, paging.startIndex, paging.count))
  })

  router.post('/Groups', (req, res) => {
    sendScim(res, render(req, store.groups.create(readGroupBody(req.body))))
  })

  router.get('/Groups/:id', (req, res) => {
    sendScim(res, render(req, readGroup(req, store)))
  })

  router.put('/Groups/:id', (req, res) => {
    const group = readGroup(req, store)
    sendScim(res, render(req, store.groups.replace(group.id, readGroupBody(req.body))))
  })

  router.patch('/Groups/:id', (req, res) => {
    const group = readGroup(req, store)
    const next = applyGroupPatch(group, readPatchOperations(req.body))
    sendScim(res, render(req, store.groups.replace(group.id, next)))
  })

  router.delete('/Groups/:id', (req, res) => {
    store.groups.delete(readGroup(req, store).id)
    sendScim(res, {})
  })
}
