import type { Knex } from 'knex'
import * as createCoreTables from './0001-create-core-tables.ts'
import * as createEvents from './0002-create-events.ts'
import * as createOutbox from './0003-create-outbox.ts'
import * as indexMembershipsByMember from './0004-index-memberships-by-member.ts'
import * as addProductState from './0005-add-product-state.ts'

interface Migration {
  up: (knex: Knex) => Promise<void>
  down: (knex: Knex) => Promise<void>
}

const migrations: [string, Migration][] = [
  ['0001-create-core-tables', createCoreTables],
  ['0002-create-events', createEvents],
  ['0003-create-outbox', createOutbox],
  ['0004-index-memberships-by-member', indexMembershipsByMember],
  ['0005-add-product-state', addProductState],
]

/**
 * Migrations are imported modules rather than a scanned folder, so the migrator works the
 * same from sources (tsx) and from any bundle.
 */
export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: () => Promise.resolve(migrations),
  getMigrationName: ([name]) => name,
  getMigration: ([, migration]) => Promise.resolve(migration),
}
