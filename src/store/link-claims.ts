import type { Knex } from 'knex'
import type { ResourceType, ScimResource } from '../scim/types.ts'
import { knexReader, type ReadRunner } from './read-runner.ts'
import {
  fromRecord,
  keysOf,
  toInsertRow,
  toRecordKeys,
  type Link,
  type LinkRecord,
} from './links.ts'

/**
 * The create-claims-first protocol (DESIGN.md): a `pending` link is committed before the
 * product is called, with no transaction open during the call; it is then confirmed or
 * released. The unique index on live userNames makes two concurrent claims one winner.
 */
export function createLinkClaims(db: Knex, read: ReadRunner = knexReader) {
  const scoped = (trx: Knex | Knex.Transaction, connectionKey: string, type: ResourceType) =>
    trx<LinkRecord>('links').where({ connection_key: connectionKey, resource_type: type })

  return {
    /** The live link (pending or active) for a userName, else the newest tombstoned one. */
    async findByUserName(
      connectionKey: string,
      type: ResourceType,
      userName: string,
    ): Promise<{ live?: Link; tombstoned?: Link }> {
      const rows = (await read(
        scoped(db, connectionKey, type)
          .andWhere({ user_name_lower: userName.toLowerCase() })
          .orderBy('seq', 'desc'),
      )) as LinkRecord[]
      const links = rows.map(fromRecord)
      const live = links.find((l) => l.state !== 'tombstoned')
      const tombstoned = links.find((l) => l.state === 'tombstoned')
      return { ...(live ? { live } : {}), ...(tombstoned ? { tombstoned } : {}) }
    },

    /** Inserts a pending claim; fails on the live-userName unique index when one exists. */
    async claim(link: Link): Promise<void> {
      await db('links').insert(toInsertRow({ ...link, state: 'pending' }))
    },

    /**
     * Turns a tombstoned link back into a pending claim (a create for a deleted user); fails
     * on the unique index if a live link took the name meanwhile.
     */
    async reclaim(link: Link, scim: ScimResource, now: string): Promise<boolean> {
      const changed = await scoped(db, link.connectionKey, link.resourceType)
        .andWhere({ id: link.id, state: link.state, version: link.version })
        .update({
          state: 'pending',
          ...toRecordKeys(keysOf(scim)),
          scim: JSON.stringify(scim),
          version: link.version + 1,
          updated_at: now,
        })
      return changed > 0
    },

    /**
     * The product acted: the link becomes active with the product's id. The claim is matched
     * by its version (a claim's owner holds the version it took), so a claim settled meanwhile
     * by someone else is not overwritten: the link is then written anew, or, if the user was
     * linked meanwhile, that link is returned.
     */
    async confirm(
      link: Link,
      nativeId: string,
      scim: ScimResource,
      now: string,
      id = link.id,
      /** What the product says of the new user beyond SCIM (e.g. `invited`), stored with it. */
      productState?: string,
    ): Promise<Link> {
      const state = productState === undefined ? {} : { product_state: productState }
      const confirmed: Link = {
        ...link,
        id,
        nativeId,
        state: 'active',
        ...keysOf(scim),
        scim,
        version: link.version + 1,
        updatedAt: now,
      }
      const changed = await scoped(db, link.connectionKey, link.resourceType)
        .andWhere({ id: link.id, state: 'pending', version: link.version })
        .update({
          id,
          native_id: nativeId,
          state: 'active',
          ...toRecordKeys(keysOf(scim)),
          scim: JSON.stringify(scim),
          version: link.version + 1,
          updated_at: now,
          ...state,
        })
      if (changed > 0) return confirmed
      const current: LinkRecord | undefined = await scoped(
        db,
        link.connectionKey,
        link.resourceType,
      )
        .andWhere({ id })
        .first()
      if (current && current.state === 'active') return fromRecord(current)
      if (current) {
        // Still a claim, but taken over by another request: make it this outcome.
        await scoped(db, link.connectionKey, link.resourceType)
          .andWhere({ id })
          .update({
            native_id: nativeId,
            state: 'active',
            ...toRecordKeys(keysOf(scim)),
            scim: JSON.stringify(scim),
            version: Number(current.version) + 1,
            updated_at: now,
            ...state,
          })
        return { ...confirmed, version: Number(current.version) + 1 }
      }
      // The claim was released meanwhile (a reconciliation that looked too early).
      await db('links').insert({ ...toInsertRow(confirmed), ...state })
      return confirmed
    },

    /** The product certainly did not act: a new claim goes, a revived one is tombstoned again. */
    async release(link: Link, revived: boolean, now: string): Promise<void> {
      // Only the version this request holds: a claim renewed by another request is its own.
      const query = scoped(db, link.connectionKey, link.resourceType).andWhere({
        id: link.id,
        state: 'pending',
        version: link.version,
      })
      if (revived) await query.update({ state: 'tombstoned', updated_at: now })
      else await query.delete()
    },

    /**
     * Takes over a stale claim for this request (a new version), so nobody else releases or
     * confirms it meanwhile. Undefined when another request took it first.
     */
    async renew(link: Link, now: string): Promise<Link | undefined> {
      const changed = await scoped(db, link.connectionKey, link.resourceType)
        .andWhere({ id: link.id, state: 'pending', version: link.version })
        .update({ version: link.version + 1, updated_at: now })
      return changed > 0 ? { ...link, version: link.version + 1, updatedAt: now } : undefined
    },

    /** How many links of a connection are pending (creates not yet confirmed by the product). */
    async countPending(connectionKey: string): Promise<number> {
      const row: unknown = await db('links')
        .where({ connection_key: connectionKey, state: 'pending' })
        .count({ n: '*' })
        .first()
      return Number((row as { n?: number | string } | undefined)?.n ?? 0)
    },

    /** Pending claims of a connection last touched before `before`: creates whose outcome was lost. */
    async stalePending(connectionKey: string, before: string, limit = 100): Promise<Link[]> {
      const rows = await db<LinkRecord>('links')
        .where({ connection_key: connectionKey, state: 'pending' })
        .andWhere('updated_at', '<', before)
        .orderBy('seq')
        .limit(limit)
      return rows.map(fromRecord)
    },

    /**
     * The product's answer was lost: the claim is no longer in flight, so its time is set
     * to the epoch and the next request for this user reconciles it at once.
     */
    async abandon(link: Link): Promise<void> {
      await scoped(db, link.connectionKey, link.resourceType)
        .andWhere({ id: link.id, state: 'pending' })
        .update({ updated_at: new Date(0).toISOString() })
    },

    /**
     * The IdP deleted the resource: reads stop seeing it and it leaves every group, in one
     * transaction; the row stays for revival.
     */
    async tombstone(link: Link, now: string): Promise<void> {
      await db.transaction(async (trx) => {
        await scoped(trx, link.connectionKey, link.resourceType)
          .andWhere({ id: link.id })
          .update({ state: 'tombstoned', version: link.version + 1, updated_at: now })
        await trx('group_members')
          .where({ connection_key: link.connectionKey, member_id: link.id })
          .delete()
      })
    },
  }
}

export type LinkClaims = ReturnType<typeof createLinkClaims>
