import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { notFound, preconditionFailed, uniqueness } from '../scim/errors.ts'
import { applyPatch } from '../scim/patch.ts'
import type {
  PatchOperation,
  RequestContext,
  ResourceService,
  ScimResource,
} from '../scim/types.ts'
import type { ResourceValidator } from '../scim/validate.ts'
import { isUniqueViolation } from '../store/database.ts'
import type { GroupMemberStore } from '../store/group-members.ts'
import { newLink, type Link, type LinkStore } from '../store/links.ts'
import { createGroupService } from './group-service.ts'
import { createLinkReads } from './link-reads.ts'
import { checkIfMatch, toScimResource, toScimView } from './scim-view.ts'

export interface DirectoryServiceOptions {
  connectionKey: string
  db: Knex
  links: LinkStore
  members: GroupMemberStore
  validator: ResourceValidator
  now: () => Date
}

const MAX_VERSION_RETRIES = 5

/**
 * The `directory` connector: the gateway itself is the store. Users live in the link store;
 * groups are served by the shared group service (memberships are rows).
 */
export function createDirectoryService(options: DirectoryServiceOptions): ResourceService {
  const { connectionKey, db, links, members, validator } = options
  const now = () => options.now().toISOString()
  const reads = createLinkReads(connectionKey, links, members)
  const groups = createGroupService({ ...options, reads })

  async function load(id: string) {
    const link = await links.findById(connectionKey, 'User', id)
    if (!link) throw notFound('User', id)
    return link
  }

  const conflict = (resource: ScimResource) =>
    uniqueness(`A user with userName ${JSON.stringify(resource.userName)} already exists`)

  /**
   * Reads, changes and writes a user under its version; a concurrent writer makes it start
   * again (or fail with 412 when the client pinned a version with If-Match).
   */
  async function update(
    id: string,
    ctx: RequestContext,
    change: (link: Link) => ScimResource,
  ): Promise<ScimResource> {
    for (let attempt = 0; ; attempt++) {
      const link = await load(id)
      checkIfMatch(link.version, ctx.ifMatch)
      const view = change(link)
      let updated: Link | undefined
      try {
        updated =
          JSON.stringify(view) === JSON.stringify(link.scim)
            ? link
            : await links.updateView(link, view, now())
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(view)
        throw err
      }
      if (updated) return reads.represent(updated, ctx)
      if (ctx.ifMatch !== undefined || attempt >= MAX_VERSION_RETRIES) {
        throw preconditionFailed(`User ${id} was changed by another request; read it again`)
      }
    }
  }

  return {
    resourceTypes: ['User', 'Group'],

    async create(type, resource, ctx) {
      if (type === 'Group') return groups.create(resource, ctx)
      validator.validate('User', resource, 'create')
      const view = toScimView(resource)
      const link = newLink(
        {
          connectionKey,
          resourceType: 'User',
          id: randomUUID(),
          nativeId: null,
          state: 'active',
          scim: view,
        },
        now(),
      )
      try {
        await links.insert(link)
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(resource)
        throw err
      }
      return reads.represent(link, ctx)
    },

    get: (type, id, ctx) => reads.load(type, id).then((link) => reads.represent(link, ctx)),

    async replace(type, id, resource, ctx) {
      if (type === 'Group') return groups.replace(id, resource, ctx)
      validator.validate('User', resource, 'replace')
      return update(id, ctx, () => toScimView(resource))
    },

    async patch(type, id, operations: readonly PatchOperation[], ctx) {
      if (type === 'Group') return groups.patch(id, operations, ctx)
      return update(id, ctx, (link) => {
        const patched = applyPatch('User', toScimResource(link), operations)
        validator.validate('User', patched, 'replace')
        return toScimView(patched)
      })
    },

    async delete(type, id, ctx) {
      if (type === 'Group') return groups.delete(id, ctx)
      const link = await load(id)
      checkIfMatch(link.version, ctx.ifMatch)
      await db.transaction(async (trx) => {
        await links.remove(connectionKey, 'User', id, trx)
        await members.removeMemberEverywhere(connectionKey, id, trx)
      })
    },

    list: (type, query, ctx) => reads.list(type, query, ctx),
  }
}
