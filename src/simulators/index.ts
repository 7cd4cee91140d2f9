import type { ClumioSimulatorOptions } from './clumio/settings.ts'
import { startClumioSimulator } from './clumio/simulator.ts'
import type { SimulatorHandle, StartSimulatorOptions } from './common/start.ts'
import type { InfisicalSimulatorOptions } from './infisical/settings.ts'
import { startInfisicalSimulator } from './infisical/simulator.ts'
import type { ToriiSimulatorOptions } from './torii/settings.ts'
import { startToriiSimulator } from './torii/simulator.ts'
import type { TresoritSimulatorOptions } from './tresorit/settings.ts'
import { startTresoritSimulator } from './tresorit/simulator.ts'

export type { ClumioSimulatorOptions } from './clumio/settings.ts'
export { CLUMIO_DEFAULTS } from './clumio/settings.ts'
export { createClumioSimulator, startClumioSimulator } from './clumio/simulator.ts'
export type { SimulatorHandle, StartSimulatorOptions } from './common/start.ts'
export type { InfisicalSimulatorOptions } from './infisical/settings.ts'
export { INFISICAL_DEFAULTS } from './infisical/settings.ts'
export { createInfisicalSimulator, startInfisicalSimulator } from './infisical/simulator.ts'
export type { ToriiApiKey, ToriiSimulatorOptions, ToriiUserSeed } from './torii/settings.ts'
export { TORII_DEFAULTS } from './torii/settings.ts'
export type { TresoritSimulatorOptions } from './tresorit/settings.ts'
export { TRESORIT_DEFAULTS } from './tresorit/settings.ts'
export { createToriiSimulator, startToriiSimulator } from './torii/simulator.ts'
export { createTresoritSimulator, startTresoritSimulator } from './tresorit/simulator.ts'

export type SimulatorName = 'tresorit' | 'torii' | 'clumio' | 'infisical'

export interface SimulatorFactories {
  tresorit(options?: TresoritSimulatorOptions & StartSimulatorOptions): Promise<SimulatorHandle>
  torii(options?: ToriiSimulatorOptions & StartSimulatorOptions): Promise<SimulatorHandle>
  clumio(options?: ClumioSimulatorOptions & StartSimulatorOptions): Promise<SimulatorHandle>
  infisical(options?: InfisicalSimulatorOptions & StartSimulatorOptions): Promise<SimulatorHandle>
}

/** Every product simulator, by the name `scim-gateway simulate [product…]` takes. */
export const simulators: SimulatorFactories = {
  tresorit: startTresoritSimulator,
  torii: startToriiSimulator,
  clumio: startClumioSimulator,
  infisical: startInfisicalSimulator,
}

export const SIMULATOR_NAMES: readonly SimulatorName[] = [
  'tresorit',
  'torii',
  'clumio',
  'infisical',
]

/** Ports the demo suggests when none is given (PRODUCTS.md §4 sketches the Tresorit-like one on 4103). */
export const DEMO_PORTS: Readonly<Record<SimulatorName, number>> = {
  torii: 4101,
  clumio: 4102,
  tresorit: 4103,
  infisical: 4104,
}

export interface StartSimulatorsOptions {
  tresorit?: TresoritSimulatorOptions & StartSimulatorOptions
  torii?: ToriiSimulatorOptions & StartSimulatorOptions
  clumio?: ClumioSimulatorOptions & StartSimulatorOptions
  infisical?: InfisicalSimulatorOptions & StartSimulatorOptions
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
      started.push(await startOne(name, options, lift))
    }
  } catch (error) {
    await Promise.all(started.map((handle) => handle.close()))
    throw error
  }
  return started
}

function startOne(
  name: SimulatorName,
  options: StartSimulatorsOptions,
  lift: { rateLimit?: false },
): Promise<SimulatorHandle> {
  switch (name) {
    case 'tresorit':
      return simulators.tresorit({ ...options.tresorit, ...lift })
    case 'torii':
      return simulators.torii({ ...options.torii, ...lift })
    case 'clumio':
      return simulators.clumio({ ...options.clumio, ...lift })
    case 'infisical':
      return simulators.infisical({ ...options.infisical, ...lift })
  }
}
