import { watch, type FSWatcher } from 'node:fs'
import type { Logger } from 'pino'
import { GatewayError } from './gateway-error.ts'
import { existsSync } from 'node:fs'
import type { ConnectorProfile } from '../connectors/profile.ts'
import { loadConfiguration, type Configuration } from './load-configuration.ts'
import type { TenantConfig } from './tenant-config.ts'
import { formatProblem } from './yaml-file.ts'

/** One validated, frozen configuration and what was built from it. */
export interface ConfigGeneration<T> {
  number: number
  loadedAt: string
  tenants: ReadonlyMap<string, TenantConfig>
  profiles: ReadonlyMap<string, ConnectorProfile>
  built: T
}

export interface ReloadOutcome {
  ok: boolean
  at: string
  reason: string
  /** `file:line: message` for each problem; the previous generation stays in force. */
  problems: string[]
}

export interface ConfigManagerOptions<T> {
  tenantsDir: string
  connectorsDir: string
  env: Readonly<Record<string, string | undefined>>
  log: Logger
  now: () => Date
  /** Builds what serves requests (connections and their services) from a configuration. */
  build: (configuration: Configuration) => T
}

/**
 * Holds the configuration in force. A reload validates everything anew and swaps in the
 * whole new generation at once; a bad file leaves the last good generation serving and the
 * problem visible (log now, `lastReload` for the admin API).
 */
export async function createConfigManager<T>(options: ConfigManagerOptions<T>) {
  const load = () => loadConfiguration(options, options.env)
  const first = await load()
  if (!first.ok) {
    throw new GatewayError('ERR_CONFIG_INVALID', first.problems.map(formatProblem).join('\n'))
  }
  let current: ConfigGeneration<T> = {
    number: 1,
    loadedAt: options.now().toISOString(),
    tenants: first.tenants,
    profiles: first.profiles,
    built: options.build(first),
  }
  let lastReload: ReloadOutcome | null = null
  // Reloads run one after another, each reading the files when it starts, so the last one to
  // finish saw the newest files: two overlapping loads could otherwise finish out of order and
  // leave an older generation in force.
  let queue: Promise<unknown> = Promise.resolve()
  const watchers: FSWatcher[] = []
  let timer: NodeJS.Timeout | undefined

  async function reloadNow(reason: string): Promise<ReloadOutcome> {
    const at = options.now().toISOString()
    const result = await load()
    if (!result.ok) {
      const problems = result.problems.map(formatProblem)
      options.log.error(
        { reason, problems },
        'configuration refused; the previous one stays in force',
      )
      lastReload = { ok: false, at, reason, problems }
      return lastReload
    }
    let built: T
    try {
      built = options.build(result)
    } catch (err) {
      const problems = [
        `the new configuration could not be put in force: ${(err as Error).message}`,
      ]
      options.log.error(
        { reason, problems },
        'configuration refused; the previous one stays in force',
      )
      lastReload = { ok: false, at, reason, problems }
      return lastReload
    }
    current = {
      number: current.number + 1,
      loadedAt: at,
      tenants: result.tenants,
      profiles: result.profiles,
      built,
    }
    options.log.info(
      { reason, generation: current.number, tenants: result.tenants.size },
      'configuration reloaded',
    )
    lastReload = { ok: true, at, reason, problems: [] }
    return lastReload
  }

  return {
    current: () => current,
    lastReload: () => lastReload,

    /** Reloads after any reload under way: concurrent calls never overlap. */
    reload(reason: string): Promise<ReloadOutcome> {
      const next = queue.then(() => reloadNow(reason))
      queue = next.catch(() => undefined)
      return next
    },

    /** Reloads on any change in the tenant or connector folders (debounced: editors write in bursts). */
    watch(): void {
      for (const dir of [options.tenantsDir, options.connectorsDir]) {
        if (!existsSync(dir)) continue
        const watcher = watch(dir, () => {
          clearTimeout(timer)
          timer = setTimeout(() => void this.reload('file change'), 150)
        })
        watcher.on('error', (err) => options.log.warn({ err }, 'config watch failed'))
        watchers.push(watcher)
      }
    },

    close(): void {
      clearTimeout(timer)
      for (const watcher of watchers) watcher.close()
    },
  }
}

export type ConfigManager<T> = Awaited<ReturnType<typeof createConfigManager<T>>>
