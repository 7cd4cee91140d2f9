import { watch, type FSWatcher } from 'node:fs'
import type { Logger } from 'pino'
import { GatewayError } from './gateway-error.ts'
import { loadTenants, type LoadTenantsOptions, type TenantConfig } from './tenant-config.ts'
import { formatProblem } from './yaml-file.ts'

/** One validated, frozen configuration and what was built from it. */
export interface ConfigGeneration<T> {
  number: number
  loadedAt: string
  tenants: ReadonlyMap<string, TenantConfig>
  built: T
}

export interface ReloadOutcome {
  ok: boolean
  at: string
  reason: string
  /** `file:line: message` for each problem; the previous generation stays in force. */
  problems: string[]
}

export interface ConfigManagerOptions<T> extends LoadTenantsOptions {
  tenantsDir: string
  log: Logger
  now: () => Date
  /** Builds what serves requests (connections and their services) from a generation's tenants. */
  build: (tenants: ReadonlyMap<string, TenantConfig>) => T
}

/**
 * Holds the configuration in force. A reload validates everything anew and swaps in the
 * whole new generation at once; a bad file leaves the last good generation serving and the
 * problem visible (log now, `lastReload` for the admin API).
 */
export async function createConfigManager<T>(options: ConfigManagerOptions<T>) {
  const load = () => loadTenants(options.tenantsDir, options)
  const first = await load()
  if (!first.ok) {
    throw new GatewayError('ERR_CONFIG_INVALID', first.problems.map(formatProblem).join('\n'))
  }
  let current: ConfigGeneration<T> = {
    number: 1,
    loadedAt: options.now().toISOString(),
    tenants: first.tenants,
    built: options.build(first.tenants),
  }
  let lastReload: ReloadOutcome | null = null
  // Reloads run one after another, each reading the files when it starts, so the last one to
  // finish saw the newest files: two overlapping loads could otherwise finish out of order and
  // leave an older generation in force.
  let queue: Promise<unknown> = Promise.resolve()
  let watcher: FSWatcher | undefined
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
    current = {
      number: current.number + 1,
      loadedAt: at,
      tenants: result.tenants,
      built: options.build(result.tenants),
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

    /** Reloads on any change in the tenants folder (debounced: editors write in bursts). */
    watch(): void {
      watcher = watch(options.tenantsDir, () => {
        clearTimeout(timer)
        timer = setTimeout(() => void this.reload('file change'), 150)
      })
      watcher.on('error', (err) => options.log.warn({ err }, 'config watch failed'))
    },

    close(): void {
      clearTimeout(timer)
      watcher?.close()
    },
  }
}

export type ConfigManager<T> = Awaited<ReturnType<typeof createConfigManager<T>>>
