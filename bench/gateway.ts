import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runNode, type ProcessGroup, type StartedProcess } from './processes.ts'

export const BENCH_TENANT = 'bench'
export const BENCH_CONNECTION = 'directory'

const GATEWAY_YAML = `# Written by bench/run.ts for one run.
listen:
  host: 127.0.0.1
  port: 0
tenants: config
`

const TENANT_YAML = `# Written by bench/run.ts: the gateway stores the users itself.
tenant: ${BENCH_TENANT}
displayName: Benchmark organisation
dialect: auto
connections:
  ${BENCH_CONNECTION}:
    connector: directory
`

export interface BenchGatewayOptions {
  /** The repository root, where bin/scim-gateway.js lives. */
  root: string
  /** A fresh temporary folder for gateway.yaml, the tenant and the SQLite file. */
  dir: string
  /** Extra node flags for the gateway process, e.g. `--cpu-prof`. */
  nodeFlags: string[]
  timeoutMs: number
}

export interface BenchGateway {
  process: StartedProcess
  /** The SCIM base URL, e.g. http://127.0.0.1:PORT/scim/v2 */
  url: string
  token: string
}

export async function writeGatewayFiles(dir: string): Promise<void> {
  await mkdir(join(dir, 'config'), { recursive: true })
  await writeFile(join(dir, 'gateway.yaml'), GATEWAY_YAML)
  await writeFile(join(dir, 'config', `${BENCH_TENANT}.yaml`), TENANT_YAML)
}

/** The environment README documents, minus anything that would point elsewhere. */
function gatewayEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  // DATABASE_URL would switch to PostgreSQL and PORT would override port 0.
  delete env.DATABASE_URL
  delete env.PORT
  return {
    ...env,
    GATEWAY_CONFIG: join(dir, 'gateway.yaml'),
    GATEWAY_DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'warn',
  }
}

/**
 * Writes the config, creates a token and serves. The token comes first so the CLI and the
 * server never contend for the SQLite file.
 */
export async function startBenchGateway(
  group: ProcessGroup,
  options: BenchGatewayOptions,
): Promise<BenchGateway> {
  await writeGatewayFiles(options.dir)
  const env = gatewayEnv(options.dir)
  const bin = join(options.root, 'bin', 'scim-gateway.js')
  const printed = await runNode({
    args: [bin, 'token', 'create', '--tenant', BENCH_TENANT, '--connection', BENCH_CONNECTION],
    env,
    cwd: options.dir,
    timeoutMs: options.timeoutMs,
  })
  const token = printed.trim().split('\n').at(-1)?.trim()
  if (!token) throw new Error('token create printed no token')
  const started = await group.start({
    name: 'gateway',
    args: [...options.nodeFlags, bin, 'serve'],
    env,
    cwd: options.dir,
    urlPattern: /SCIM gateway listening: (http:\/\/127\.0\.0\.1:[0-9]+\/scim\/v2)/,
    timeoutMs: options.timeoutMs,
  })
  return { process: started, url: started.url, token }
}
