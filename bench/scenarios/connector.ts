import type { BenchConnection } from '../gateway.ts'
import { measureAlternating, type MeasureOptions } from '../measure.ts'
import type { StartedProcess } from '../processes.ts'
import { higherIsBetter, lowerIsBetter, plainRow } from '../results.ts'
import { liftedTresoritProfile, startTresoritProcess, TRESORIT_SIM_TOKEN } from '../tresorit.ts'
import type { BenchContext, Scenario, ScenarioResult } from './scenario.ts'
import { describeMeasurement, splitUrl } from './target.ts'

/** The gateway's create through the connector should keep at least this share of direct. */
const TARGET_RATIO = 0.3
const CONNECTION = 'tresorit'
const SECRET_ENV = 'BENCH_TRESORIT_API_TOKEN'
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User'

interface NewUser {
  userName: string
  givenName: string
  familyName: string
}

/** Bodies for users nobody created before: a counter per target, a random suffix per run. */
function newUserBodies(label: string, render: (user: NewUser) => string): () => string {
  const run = Math.random().toString(36).slice(2, 8)
  let n = 0
  return () => {
    const i = n++
    const userName = `${label}${i}-${run}@connector.bench.example.com`
    return render({ userName, givenName: 'Bench', familyName: `${label} ${i}` })
  }
}

const scimBody = (u: NewUser) =>
  JSON.stringify({
    schemas: [CORE_USER],
    userName: u.userName,
    name: { givenName: u.givenName, familyName: u.familyName },
    active: true,
  })

/** What connectors/tresorit.yaml's create template sends for the same user. */
const inviteBody = (u: NewUser) =>
  JSON.stringify({
    email: u.userName.toLowerCase(),
    firstName: u.givenName,
    lastName: u.familyName,
  })

interface CreateTarget extends MeasureOptions {
  url: string
  body: () => string
}

function createTarget(
  context: BenchContext,
  url: string,
  headers: Record<string, string>,
  body: () => string,
): CreateTarget {
  const { origin, basePath } = splitUrl(url)
  return {
    url,
    body,
    origin,
    headers,
    connections: context.options.connections,
    durationSeconds: context.options.durationSeconds,
    warmupSeconds: context.options.warmupSeconds,
    method: 'POST',
    nextPath: () => basePath,
    nextBody: body,
    expectStatus: 201,
  }
}

/** One create before measuring, so a misconfiguration fails with the answer's own words. */
async function checkCreate(label: string, target: CreateTarget): Promise<void> {
  const res = await fetch(target.url, {
    method: 'POST',
    headers: target.headers,
    body: target.body(),
  })
  if (res.status !== 201) {
    throw new Error(`${label} create answered ${res.status}: ${(await res.text()).slice(0, 500)}`)
  }
}

/**
 * `POST /Users` through the Tresorit-like connector vs the same create sent straight to the
 * product simulator (its own process, rate limit lifted): the connector path's whole cost —
 * auth, rules, the claim-first link writes, the upstream call — as a share of the product's.
 */
export function createConnectorScenario(): Scenario {
  let simulator: StartedProcess | undefined
  const notes: string[] = []

  return {
    id: 'connector',
    name: 'POST /Users through the tresorit connector vs direct to its simulator',

    async setup(context): Promise<BenchConnection[]> {
      simulator = await startTresoritProcess(context.processes, {
        root: context.root,
        timeoutMs: context.options.timeoutMs,
      })
      const profile = await liftedTresoritProfile(context.root)
      notes.push(
        `connector: Tresorit simulator in its own process, simulator rate limit lifted; ` +
          `the bench's copy of connectors/tresorit.yaml has its limits lifted (${profile.changes.join(', ')})`,
      )
      context.log(`connector: ${simulator.url} (pid ${simulator.pid}), simulator rate limit lifted`)
      return [
        {
          name: CONNECTION,
          config: {
            connector: 'tresorit',
            baseUrl: simulator.url,
            secrets: { apiToken: `\${env:${SECRET_ENV}}` },
          },
          env: { [SECRET_ENV]: TRESORIT_SIM_TOKEN },
          profiles: { tresorit: profile.text },
        },
      ]
    },

    async run(context): Promise<ScenarioResult> {
      const sim = simulator
      if (!sim) throw new Error('connector: setup did not run')
      try {
        const gateway = createTarget(
          context,
          `${context.gateway.url}/Users`,
          {
            authorization: `Bearer ${context.gateway.tokens[CONNECTION] ?? ''}`,
            accept: 'application/scim+json',
            'content-type': 'application/scim+json',
          },
          newUserBodies('gw', scimBody),
        )
        const direct = createTarget(
          context,
          `${sim.url}/users/invite`,
          {
            authorization: `Bearer ${TRESORIT_SIM_TOKEN}`,
            accept: 'application/json',
            'content-type': 'application/json',
          },
          newUserBodies('direct', inviteBody),
        )
        await checkCreate('gateway', gateway)
        await checkCreate('simulator', direct)
        const [gw, sm] = await measureAlternating([gateway, direct], context.options.rounds)
        if (!gw || !sm) throw new Error('expected two measurements')
        context.log(`  ${describeMeasurement('gateway', gw)}`)
        context.log(`  ${describeMeasurement('direct', sm)}`)
        const ratio = gw.rps / sm.rps
        const verdict = ratio >= TARGET_RATIO ? 'met' : 'NOT met'
        return {
          rows: [
            higherIsBetter('connector.tresorit.create.rps', gw.rps, sm.rps, 'req/s'),
            lowerIsBetter('connector.tresorit.create.p50', gw.p50, sm.p50, 'ms'),
            lowerIsBetter('connector.tresorit.create.p99', gw.p99, sm.p99, 'ms'),
            plainRow('connector.tresorit.create.added.p50', gw.p50 - sm.p50, 'ms'),
            plainRow('connector.tresorit.create.added.p99', gw.p99 - sm.p99, 'ms'),
          ],
          notes: [
            ...notes,
            `POST /Users req/s, tresorit connector ÷ direct to the simulator: ${ratio.toFixed(2)} ` +
              `(target ≥ ${TARGET_RATIO}): ${verdict}; every answer 201`,
          ],
        }
      } finally {
        await sim.stop()
      }
    },
  }
}
