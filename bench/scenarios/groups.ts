import { benchUser } from '../load-users.ts'
import { measure } from '../measure.ts'
import { higherIsBetter, plainRow } from '../results.ts'
import type { BenchContext, Scenario, ScenarioResult } from './scenario.ts'
import { describeMeasurement, randomInt, requestHeaders, splitUrl } from './target.ts'

const GROUP_SIZE = 10_000
const CHANGE = 1_000
const ROUNDS = 5
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

const members = (ids: readonly string[]) => ids.map((value) => ({ value }))

async function expectStatus(
  what: string,
  response: Promise<{ status: number; body: string }>,
  status: number,
) {
  const res = await response
  if (res.status !== status)
    throw new Error(`${what} answered ${res.status}: ${res.body.slice(0, 500)}`)
  return res
}

/** Ids of every loaded user, a page at a time (`attributes=id` keeps pages small). */
async function userIds(context: BenchContext): Promise<string[]> {
  const ids: string[] = []
  for (let start = 1; ; start += 1000) {
    const res = await expectStatus(
      'listing user ids',
      context.client.get(`/Users?attributes=id&startIndex=${start}&count=1000`),
      200,
    )
    const page = (JSON.parse(res.body) as { Resources: { id: string }[] }).Resources
    ids.push(...page.map((r) => r.id))
    if (page.length < 1000) return ids
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

/**
 * A group of 10,000 members (or every loaded user, if fewer): the time to add 1,000 members in
 * one PATCH and to remove them again, and `GET /Groups?excludedAttributes=members` req/s beside
 * `GET /Users/{id}` measured in the same run (ratio = groups ÷ users by id).
 */
export const groupsAtScale: Scenario = {
  id: 'groups',
  name: 'groups at scale',
  async run(context): Promise<ScenarioResult> {
    const { client, log } = context
    const ids = await userIds(context)
    const base = ids.slice(0, GROUP_SIZE)
    const created = await expectStatus(
      'POST /Groups',
      client.post('/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Bench everyone',
      }),
      201,
    )
    const groupId = (JSON.parse(created.body) as { id: string }).id
    for (let i = 0; i < base.length; i += CHANGE) {
      await expectStatus(
        'filling the group',
        client.patch(`/Groups/${groupId}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'add', path: 'members', value: members(base.slice(i, i + CHANGE)) }],
        }),
        204,
      )
    }
    log(`  group of ${base.length} members`)
    // The 1,000 that come and go are users of their own, outside the group.
    const extra: string[] = []
    for (let i = 0; i < CHANGE; i++) {
      const res = await expectStatus(
        'POST /Users',
        client.post('/Users', benchUser(900_000 + i)),
        201,
      )
      extra.push((JSON.parse(res.body) as { id: string }).id)
    }
    const addMs: number[] = []
    const removeMs: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      let started = performance.now()
      await expectStatus(
        'adding 1,000 members',
        client.patch(`/Groups/${groupId}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'Add', path: 'members', value: members(extra) }],
        }),
        204,
      )
      addMs.push(performance.now() - started)
      started = performance.now()
      await expectStatus(
        'removing 1,000 members',
        client.patch(`/Groups/${groupId}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'Remove', path: 'members', value: members(extra) }],
        }),
        204,
      )
      removeMs.push(performance.now() - started)
    }
    log(
      `  add 1,000: ${median(addMs).toFixed(0)} ms, remove 1,000: ${median(removeMs).toFixed(0)} ms`,
    )
    const { origin, basePath } = splitUrl(context.gateway.url)
    const common = {
      origin,
      headers: requestHeaders(context),
      connections: context.options.connections,
      durationSeconds: context.options.durationSeconds,
      warmupSeconds: context.options.warmupSeconds,
    }
    const users = await measure({
      ...common,
      nextPath: () => `${basePath}/Users/${ids[randomInt(ids.length)] ?? ''}`,
    })
    log(`  ${describeMeasurement('GET /Users/{id}', users)}`)
    const groups = await measure({
      ...common,
      nextPath: () => `${basePath}/Groups?excludedAttributes=members`,
    })
    log(`  ${describeMeasurement('GET /Groups?excludedAttributes=members', groups)}`)
    return {
      rows: [
        plainRow('groups.members.add1000.ms', median(addMs), 'ms'),
        plainRow('groups.members.remove1000.ms', median(removeMs), 'ms'),
        higherIsBetter('groups.list.noMembers.rps', groups.rps, users.rps, 'req/s'),
      ],
      notes: [
        `groups: a group of ${base.length} members; add/remove are medians of ${ROUNDS} PATCHes of ${CHANGE} members; ` +
          'groups.list.noMembers ratio = GET /Groups?excludedAttributes=members ÷ GET /Users/{id} in this run',
      ],
    }
  },
}
