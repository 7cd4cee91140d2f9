import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { runNode, type ProcessGroup, type StartedProcess } from './processes.ts'

export const BENCH_TENANT = 'bench'
export const BENCH_CONNECTION = 'directory'

const GATEWAY_YAML = `# Written by bench/run.ts for one run.
listen:
  host: 127.0.0.1
  port: 0
tenants: config
connectors: connectors
`

/** A connection a scenario adds to the bench tenant; the gateway gets a token for it. */
export interface BenchConnection {
  name: string
  /** The connection as under `connections.<name>`; secrets only as `${env:…}` references. */
  config: Record<string, unknown>
  /** What those references resolve from, passed to every gateway process. */
  env?: Record<string, string>
  /** Connector profiles the connection needs, as file text by connector name. */
  profiles?: Record<string, string>
}

export interface BenchGatewayOptions {
  /** The repository root, where bin/scim-gateway.js lives. */
  root: string
  /** A fresh temporary folder for gateway.yaml, the tenant and the SQLite file. */
  dir: string
  /** Extra node flags for the gateway process, e.g. `--cpu-prof`. */
  nodeFlags: string[]
  /** Connections beside `directory`, from the selected scenarios. */
  connections: BenchConnection[]
  timeoutMs: number
}

export interface BenchGateway {
  process: StartedProcess
  /** The SCIM base URL, e.g. http://127.0.0.1:PORT/scim/v2 */
  url: string
  /** The `directory` connection's token. */
  token: string
  /** Every connection's token, by connection name. */
  tokens: Record<string, string>
  /**
   * Another gateway process on the same tenant files and SQLite file, with `settings`
   * (YAML) appended to its gateway.yaml; stopped with the process group.
   */
  startSibling(name: string, settings: string): Promise<StartedProcess>
}

function tenantYaml(connections: BenchConnection[]): string {
  const tenant = {
    tenant: BENCH_TENANT,
    displayName: 'Benchmark organisation',
    dialect: 'auto',
    connections: {
      [BENCH_CONNECTION]: { connector: 'directory' },
      ...Object.fromEntries(connections.map((c) => [c.name, c.config])),
    },
  }
  return `# Written by bench/run.ts: \`directory\` stores the users itself.\n${stringify(tenant)}`
}

async function writeGatewayFiles(dir: string, connections: BenchConnection[]): Promise<void> {
  await mkdir(join(dir, 'config'), { recursive: true })
  await mkdir(join(dir, 'connectors'), { recursive: true })
  await writeFile(join(dir, 'gateway.yaml'), GATEWAY_YAML)
  await writeFile(join(dir, 'config', `${BENCH_TENANT}.yaml`), tenantYaml(connections))
  for (const c of connections) {
    for (const [name, text] of Object.entries(c.profiles ?? {}))
      await writeFile(join(dir, 'connectors', `${name}.yaml`), text)
  }
}

/** The environment README documents, minus anything that would point elsewhere. */
function gatewayEnv(dir: string, connections: BenchConnection[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  // DATABASE_URL would switch to PostgreSQL and PORT would override port 0.
  delete env.DATABASE_URL
  delete env.PORT
  for (const c of connections) Object.assign(env, c.env)
  return {
    ...env,
    GATEWAY_CONFIG: join(dir, 'gateway.yaml'),
    GATEWAY_DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'warn',
  }
}

/**
 * Writes the config, creates the tokens and serves. The tokens come first so the CLI and the
 * server never contend for the SQLite file.
 */
export async function startBenchGateway(
  group: ProcessGroup,
  options: BenchGatewayOptions,
): Promise<BenchGateway> {
  await writeGatewayFiles(options.dir, options.connections)
  const env = gatewayEnv(options.dir, options.connections)
  const bin = join(options.root, 'bin', 'scim-gateway.js')
  const tokens: Record<string, string> = {}
  for (const connection of [BENCH_CONNECTION, ...options.connections.map((c) => c.name)]) {
    const printed = await runNode({
      args: [bin, 'token', 'create', '--tenant', BENCH_TENANT, '--connection', connection],
      env,
      cwd: options.dir,
      timeoutMs: options.timeoutMs,
    })
    const token = printed.trim().split('\n').at(-1)?.trim()
    if (!token) throw new Error(`token create printed no token for ${connection}`)
    tokens[connection] = token
  }
  const serve = (name: string, serveEnv: NodeJS.ProcessEnv) =>
    group.start({
      name,
      args: [...options.nodeFlags, bin, 'serve'],
      env: serveEnv,
      cwd: options.dir,
      urlPattern: /SCIM gateway listening: (http:\/\/127\.0\.0\.1:[0-9]+\/scim\/v2)/,
      timeoutMs: options.timeoutMs,
    })
  const started = await serve('gateway', env)
  return {
    process: started,
    url: started.url,
    token: tokens[BENCH_CONNECTION] ?? '',
    tokens,
    async startSibling(name, settings) {
      // Beside gateway.yaml, so `config`, `connectors` and the data folder are the same ones.
      const file = join(options.dir, `gateway-${name}.yaml`)
      await writeFile(file, `${GATEWAY_YAML}${settings}\n`)
      return serve(name, { ...env, GATEWAY_CONFIG: file })
    },
  }
}
