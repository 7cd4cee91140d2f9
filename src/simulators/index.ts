import type { SimulatorHandle, StartSimulatorOptions } from './common/start.ts'
import type { ToriiSimulatorOptions } from './torii/settings.ts'
import { startToriiSimulator } from './torii/simulator.ts'
import type { TresoritSimulatorOptions } from './tresorit/settings.ts'
import { startTresoritSimulator } from './tresorit/simulator.ts'

export type { SimulatorHandle, StartSimulatorOptions } from './common/start.ts'
export type { ToriiApiKey, ToriiSimulatorOptions, ToriiUserSeed } from './torii/settings.ts'
export { TORII_DEFAULTS } from './torii/settings.ts'
export type { TresoritSimulatorOptions } from './tresorit/settings.ts'
export { TRESORIT_DEFAULTS } from './tresorit/settings.ts'
export { createToriiSimulator, startToriiSimulator } from './torii/simulator.ts'
export { createTresoritSimulator, startTresoritSimulator } from './tresorit/simulator.ts'

export type SimulatorName = 'tresorit' | 'torii'

export interface SimulatorFactories {
  tresorit(options?: TresoritSimulatorOptions & StartSimulatorOptions): Promise<SimulatorHandle>
  torii(options?: ToriiSimulatorOptions & StartSimulatorOptions): Promise<SimulatorHandle>
}

/** Every product simulator, by the name `scim-gateway simulate [product…]` takes. */
export const simulators: SimulatorFactories = {
  tresorit: startTresoritSimulator,
  torii: startToriiSimulator,
}

export const SIMULATOR_NAMES: readonly SimulatorName[] = ['tresorit', 'torii']

/** Ports the demo suggests when none is given (PRODUCTS.md §4 sketches the Tresorit-like one on 4103). */
export const DEMO_PORTS: Readonly<Record<SimulatorName, number>> = { torii: 4101, tresorit: 4103 }

export interface StartSimulatorsOptions {
  tresorit?: TresoritSimulatorOptions & StartSimulatorOptions
  torii?: ToriiSimulatorOptions & StartSimulatorOptions
  /** `false` lifts every simulator's rate limit (benchmarks do, and say so). */
  rateLimit?: false
}

export function isSimulatorName(name: string): name is SimulatorName {
  return (SIMULATOR_NAMES as readonly string[]).includes(name)
}

/**
 * Starts the named simulators (all when `names` is empty), each on its own port; if one fails,
 * those already started are closed again.
 */
export async function startSimulators(
  names: readonly SimulatorName[] = [],
  options: StartSimulatorsOptions = {},
): Promise<SimulatorHandle[]> {
  const wanted = names.length > 0 ? [...new Set(names)] : SIMULATOR_NAMES
  const lift = options.rateLimit === false ? { rateLimit: false as const } : {}
  const started: SimulatorHandle[] = []
  try {
    for (const name of wanted) {
      if (name === 'tresorit')
        started.push(await simulators.tresorit({ ...options.tresorit, ...lift }))
      else started.push(await simulators.torii({ ...options.torii, ...lift }))
    }
  } catch (error) {
    await Promise.all(started.map((handle) => handle.close()))
    throw error
  }
  return started
}
