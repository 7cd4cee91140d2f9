import type { ScimClient } from './http-client.ts'

export interface LoadUsersOptions {
  count: number
  /** Requests in flight at once. */
  concurrency: number
  /** Called after every `progressEvery` users, so a slow load is visibly alive. */
  onProgress?: (done: number) => void
  progressEvery?: number
}

export interface LoadedUsers {
  userNames: string[]
  seconds: number
  /** Users created per second, over the whole load. */
  rate: number
}

/** Zero-padded, so every user's answer has the same size. */
export function benchUserName(index: number): string {
  return `user${String(index).padStart(5, '0')}@bench.example.com`
}

/** A user shaped like what Entra and Okta send, so answers are a realistic size. */
export function benchUser(index: number): Record<string, unknown> {
  const n = String(index).padStart(5, '0')
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: benchUserName(index),
    externalId: `ext-${n}`,
    name: { givenName: 'Bench', familyName: `User ${n}` },
    displayName: `Bench User ${n}`,
    emails: [{ value: benchUserName(index), type: 'work', primary: true }],
    active: true,
  }
}

/** Creates `count` users through `POST /Users`, `concurrency` at a time; stops at the first failure. */
export async function loadUsers(
  client: ScimClient,
  options: LoadUsersOptions,
): Promise<LoadedUsers> {
  let next = 0
  let done = 0
  const every = options.progressEvery ?? 2_000
  let failed = false
  const started = process.hrtime.bigint()

  async function create(index: number) {
    const res = await client.post('/Users', benchUser(index))
    if (res.status !== 201) {
      throw new Error(`POST /Users for user ${index} answered ${res.status}: ${res.body}`)
    }
  }

  async function worker() {
    while (!failed && next < options.count) {
      try {
        await create(next++)
      } catch (err) {
        failed = true
        throw err
      }
      if (++done % every === 0) options.onProgress?.(done)
    }
  }

  const workers = Array.from({ length: Math.min(options.concurrency, options.count) }, worker)
  await Promise.all(workers)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  return {
    userNames: Array.from({ length: options.count }, (_, i) => benchUserName(i)),
    seconds,
    rate: options.count / seconds,
  }
}
