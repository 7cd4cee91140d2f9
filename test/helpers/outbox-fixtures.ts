import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SimulatorHandle } from '../../src/simulators/index.ts'
import type { Job, OutboxStore } from '../../src/store/outbox.ts'

const CONNECTORS = join(import.meta.dirname, '..', '..', 'connectors')

export interface ProfileChanges {
  /** `limits.requestsPerMinute` of the Tresorit profile (shipped: 120). */
  requestsPerMinute?: number
  /** A `breaker:` block for the Tresorit profile (shipped: the defaults, 5 failures, 30 s). */
  breaker?: { failureThreshold: number; cooldownSeconds: number }
}

/**
 * A temporary connectors folder: the shipped Tresorit profile with the given changes, and the
 * shipped Torii profile beside it unchanged. The caller removes the folder.
 */
export async function writeTresoritProfile(changes: ProfileChanges): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'outbox-profiles-'))
  const shipped = await readFile(join(CONNECTORS, 'tresorit.yaml'), 'utf8')
  let text = shipped
  if (changes.requestsPerMinute !== undefined) {
    text = text.replace(
      /requestsPerMinute: [0-9]+/,
      `requestsPerMinute: ${changes.requestsPerMinute}`,
    )
    if (!text.includes(`requestsPerMinute: ${changes.requestsPerMinute}`))
      throw new Error('the shipped Tresorit profile has no limits.requestsPerMinute to change')
  }
  if (changes.breaker) {
    if (/^breaker:/m.test(text)) throw new Error('the shipped Tresorit profile has a breaker')
    const { failureThreshold, cooldownSeconds } = changes.breaker
    text += `breaker: { failureThreshold: ${failureThreshold}, cooldownSeconds: ${cooldownSeconds} }\n`
  }
  await writeFile(join(dir, 'tresorit.yaml'), text)
  await copyFile(join(CONNECTORS, 'torii.yaml'), join(dir, 'torii.yaml'))
  return dir
}

/** One product request as the simulator logged it (`GET /_sim/requests`). */
export interface LoggedRequest {
  at: string
  method: string
  path: string
  body: unknown
  status: number | null
}

export async function productRequests(sim: SimulatorHandle): Promise<LoggedRequest[]> {
  const res = await fetch(`${sim.url}/_sim/requests`)
  if (!res.ok) throw new Error(`the simulator's request log answered ${res.status}`)
  return ((await res.json()) as { requests: LoggedRequest[] }).requests
}

/** The path the simulator logs for a user below its base URL, e.g. `/acme/admin/v1/users/x`. */
export const userPath = (sim: SimulatorHandle, email: string) =>
  `${new URL(sim.baseUrl).pathname}/users/${email}`

/** Invites a user directly at the product (not through the gateway) and accepts the invite. */
export async function inviteAccepted(sim: SimulatorHandle, email: string): Promise<void> {
  const invited = await fetch(`${sim.baseUrl}/users/invite`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sim.credential}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, firstName: 'Test', lastName: 'User' }),
  })
  if (invited.status !== 201) throw new Error(`invite of ${email} answered ${invited.status}`)
  const accepted = await fetch(`${sim.url}/_sim/accept-invite/${email}`, { method: 'POST' })
  if (!accepted.ok) throw new Error(`accepting the invite of ${email} answered ${accepted.status}`)
}

/**
 * The largest number of timestamps (ISO strings) that fall within any window of `windowMs`
 * (a sliding window: each timestamp opens one).
 */
export function busiestWindow(times: readonly string[], windowMs: number): number {
  const sorted = times.map((t) => Date.parse(t)).sort((a, b) => a - b)
  let most = 0
  let first = 0
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[last] as number) - (sorted[first] as number) >= windowMs) first++
    most = Math.max(most, last - first + 1)
  }
  return most
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `probe` every `everyMs` until it returns a value, for at most `ms`. */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 15_000,
  everyMs = 50,
): Promise<T> {
  for (const deadline = Date.now() + ms; ; await sleep(everyMs)) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not so within ${ms} ms`)
  }
}

/** Waits (bounded) until every job is `done` or `dead`, and returns them in id order. */
export async function settled(store: OutboxStore, ids: readonly number[], ms = 15_000) {
  return eventually(
    `jobs ${ids.join(', ')} settled`,
    async () => {
      const jobs = await Promise.all(ids.map((id) => store.get(id)))
      const all = jobs.filter((job): job is Job => job !== undefined)
      return all.length === ids.length && all.every((j) => j.state === 'done' || j.state === 'dead')
        ? all
        : undefined
    },
    ms,
  )
}

/** Waits (bounded) until the job is in `state`, and returns it. */
export function inState(store: OutboxStore, id: number, state: Job['state'], ms = 15_000) {
  return eventually(
    `job ${id} ${state}`,
    async () => {
      const job = await store.get(id)
      return job?.state === state ? job : undefined
    },
    ms,
  )
}
