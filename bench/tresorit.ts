import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseDocument } from 'yaml'
import { TRESORIT_DEFAULTS } from '../src/simulators/index.ts'
import type { ProcessGroup, StartedProcess } from './processes.ts'

/** The simulator's default provisioning credential (src/simulators/tresorit/settings.ts). */
export const TRESORIT_SIM_TOKEN: string = TRESORIT_DEFAULTS.token

/** Limits written into the bench's copy of the profile: far above anything a run reaches. */
const LIFTED = { requestsPerMinute: 10_000_000, concurrency: 256 }

/** Starts bench/tresorit-simulator.ts in its own process; `url` is the product's API root. */
export function startTresoritProcess(
  group: ProcessGroup,
  options: { root: string; timeoutMs: number },
): Promise<StartedProcess> {
  return group.start({
    name: 'tresorit-simulator',
    args: ['--import', 'tsx', join(options.root, 'bench', 'tresorit-simulator.ts')],
    env: process.env,
    cwd: options.root,
    urlPattern: /Tresorit simulator listening \(rate limit lifted\): (http:\/\/127\.0\.0\.1:\S+)/,
    timeoutMs: options.timeoutMs,
  })
}

export interface LiftedProfile {
  text: string
  /** What was changed, for the printed notes, e.g. `requestsPerMinute 120 → 10000000`. */
  changes: string[]
}

/**
 * The shipped connectors/tresorit.yaml with its upstream `limits` lifted. Unchanged, the
 * gateway itself would hold the run to 120 creates a minute, 4 in flight (the real product's
 * documented budget), and answer 429 beyond `upstream.maxRetryWaitSeconds`: the benchmark
 * would measure the budget, not the connector.
 */
export async function liftedTresoritProfile(root: string): Promise<LiftedProfile> {
  const doc = parseDocument(await readFile(join(root, 'connectors', 'tresorit.yaml'), 'utf8'))
  const changes = Object.entries(LIFTED).map(([key, value]) => {
    const before: unknown = doc.getIn(['limits', key])
    doc.setIn(['limits', key], value)
    return `${key} ${String(before)} → ${value}`
  })
  const header = '# Written by bench/: connectors/tresorit.yaml with its limits lifted.\n'
  return { text: header + doc.toString(), changes }
}
