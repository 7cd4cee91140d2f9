import type { Request, Router } from 'express'
import { readQuery } from '../common/body.ts'
import { parseFilter, readPaging, sortUsers } from './list.ts'
import { readPatchBody, readUserBody } from './scim-input.ts'
import { readOrigin, SCIM_CONTENT_TYPE, SCIM_PATH, toListResponse, toScimUser } from './scim.ts'
import { scimError, userNotFound, type StoredToriiUser, type ToriiUsers } from './users.ts'

/** T5: ids are integers; anything else names no user. */
function readId(req: Request): number {
  const raw = req.params.id
  const text = typeof raw === 'string' ? raw : ''
  if (!/^[0-9]{1,15}$/.test(text)) throw userNotFound(text)
  return Number(text)
}

/** Torii's SCIM `/Users` (T1, T4–T7), relative to `/v1.0/scim/v2`. */
export function mountScimUserRoutes(router: Router, users: ToriiUsers): void {
  const render = (req: Request, user: StoredToriiUser) =>
    JSON.stringify(toScimUser(user, readOrigin(req)))

  router.get('/Users', (req, res) => {
    const matches = parseFilter(readQuery(req.query.filter))
    // T4: GET /Users returns only active users.
    const found = users.list().filter((user) => user.active && (!matches || matches(user)))
    const { startIndex, count } = readPaging(req)
    const page = sortUsers(found, req).slice(startIndex - 1, startIndex - 1 + count)
    const origin = readOrigin(req)
    const body = toListResponse(
      page.map((user) => toScimUser(user, origin)),
      found.length,
      startIndex,
    )
    res.type(SCIM_CONTENT_TYPE).send(JSON.stringify(body))
  })

  router.post('/Users', (req, res) => {
    const user = users.create(readUserBody(req.body))
    // A reactivating POST (T6) also answers 201: the IdP sees a created resource either way.
    const location = `${readOrigin(req)}${SCIM_PATH}/Users/${user.id}`
    res.status(201).type(SCIM_CONTENT_TYPE).location(location).send(render(req, user))
  })

  router.get('/Users/:id', (req, res) => {
    const id = readId(req)
    const user = users.find(id)
    if (!user) throw userNotFound(id)
    res.type(SCIM_CONTENT_TYPE).send(render(req, user))
  })

  router.put('/Users/:id', (req, res) => {
    const id = readId(req)
    if (!users.find(id)) throw userNotFound(id)
    const user = users.update(id, readUserBody(req.body))
    res.type(SCIM_CONTENT_TYPE).send(render(req, user))
  })

  router.patch('/Users/:id', (req, res) => {
    const id = readId(req)
    if (!users.find(id)) throw userNotFound(id)
    const user = users.update(id, readPatchBody(req.body))
    res.type(SCIM_CONTENT_TYPE).send(render(req, user))
  })

  router.delete('/Users/:id', (req, res) => {
    users.delete(readId(req))
    res.status(204).end()
  })

  // T1/T3: no Groups endpoint.
  router.all('/Groups{/*rest}', () => {
    throw scimError(404, undefined, 'Groups are not supported')
  })
}
