import { randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import { loadGatewaySettings, type GatewaySettings } from './config/gateway-config.ts'
import { GatewayError } from './config/gateway-error.ts'
import { loadConfiguration } from './config/load-configuration.ts'
import { formatProblem } from './config/yaml-file.ts'
import {
  describeDeletePolicy,
  formatSelfTest,
  invitationWarning,
  runSelfTest,
} from './connectors/self-test.ts'
import { createGateway, listen } from './gateway.ts'
import { createLogger } from './log.ts'
import {
  DEMO_PORTS,
  isSimulatorName,
  SIMULATOR_NAMES,
  startSimulators,
  type SimulatorName,
} from './simulators/index.ts'
import { openDatabase } from './store/database.ts'
import { createOutboxStore, type JobState, type OutboxStore } from './store/outbox.ts'
import { createTokenStore } from './store/tokens.ts'
import { issueToken } from './tenancy/tokens.ts'

const env = process.env

async function settingsFromEnv(): Promise<GatewaySettings> {
  const settings = await loadGatewaySettings(env.GATEWAY_CONFIG ?? 'gateway.yaml', env)
  if (settings.database.client === 'sqlite')
    await mkdir(dirname(settings.database.filename), { recursive: true })
  return settings
}

/** `90d`, `12h`, `30m` → milliseconds. */
function parseDuration(text: string): number {
  const match = /^([0-9]+)([dhm])$/.exec(text)
  if (!match) throw new InvalidArgumentError('use a number and a unit: 90d, 12h or 30m')
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm']
  return Number(match[1]) * unit
}

/** Starts product simulators on their demo ports (the demo tenant's connections point there). */
async function startDemoSimulators(names: readonly SimulatorName[]) {
  const handles = await startSimulators(names, {
    tresorit: { port: DEMO_PORTS.tresorit },
    torii: { port: DEMO_PORTS.torii },
    clumio: { port: DEMO_PORTS.clumio },
    infisical: { port: DEMO_PORTS.infisical },
  })
  for (const handle of handles)
    process.stdout.write(`Simulator ${handle.name}: ${handle.baseUrl}\n`)
  return handles
}

async function serve(opts: { simulators?: boolean }) {
  const simulatorHandles = opts.simulators ? await startDemoSimulators([]) : []
  const settings = await settingsFromEnv()
  const log = createLogger({ level: env.LOG_LEVEL ?? 'info' })
  const generated = !env.GATEWAY_ADMIN_TOKEN
  const adminToken = env.GATEWAY_ADMIN_TOKEN || randomBytes(24).toString('base64url')
  const gateway = await createGateway({ settings, log, adminToken, env })
  const server = await listen(gateway.app, settings)
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : settings.port
  const shown = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host
  const scheme = settings.tls ? 'https' : 'http'
  process.stdout.write(
    [
      `SCIM gateway listening: ${scheme}://${shown}:${port}/scim/v2`,
      `Database: ${settings.database.client === 'sqlite' ? settings.database.filename : 'PostgreSQL'}`,
      'Get a bearer token for the demo tenant with:',
      '  npx scim-gateway token create --tenant demo --connection directory',
      generated
        ? `Admin API credential for this run (set GATEWAY_ADMIN_TOKEN to choose one): ${adminToken}`
        : 'Admin API credential: GATEWAY_ADMIN_TOKEN',
      '',
    ].join('\n'),
  )
  gateway.config.watch()
  process.on('SIGHUP', () => void gateway.config.reload('SIGHUP'))
  const stop = () => {
    server.close(
      () =>
        void Promise.all([gateway.close(), ...simulatorHandles.map((h) => h.close())]).then(() =>
          process.exit(0),
        ),
    )
    server.closeAllConnections()
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

async function checkConfig() {
  const settings = await loadGatewaySettings(env.GATEWAY_CONFIG ?? 'gateway.yaml', env)
  const result = await loadConfiguration(settings, env)
  if (!result.ok) {
    process.stdout.write(`${result.problems.map(formatProblem).join('\n')}\n`)
    process.exitCode = 1
    return
  }
  for (const tenant of result.tenants.values()) {
    const connections = Object.entries(tenant.connections).map(
      ([name, c]) => `${name} (${c.connector})`,
    )
    process.stdout.write(`${tenant.file}: ok, tenant ${tenant.tenant}: ${connections.join(', ')}\n`)
  }
}

async function withTokenStore<T>(
  work: (store: ReturnType<typeof createTokenStore>, settings: GatewaySettings) => Promise<T>,
) {
  const settings = await settingsFromEnv()
  const db = await openDatabase(settings.database)
  try {
    return await work(createTokenStore(db), settings)
  } finally {
    await db.destroy()
  }
}

const program = new Command('scim-gateway').description('Multi-tenant SCIM 2.0 gateway')

program
  .command('serve')
  .description('serve the gateway from gateway.yaml')
  .option('--simulators', 'also start the product simulators the demo tenant uses')
  .action(serve)

program
  .command('simulate')
  .description(`start product simulators (${SIMULATOR_NAMES.join(', ')}; all when none is named)`)
  .argument('[product...]', 'simulators to start')
  .action(async (products: string[]) => {
    const unknown = products.filter((p) => !isSimulatorName(p))
    if (unknown.length > 0) {
      throw new InvalidArgumentError(
        `unknown simulator ${unknown.join(', ')} (known: ${SIMULATOR_NAMES.join(', ')})`,
      )
    }
    const handles = await startDemoSimulators(products.filter(isSimulatorName))
    const stop = () => void Promise.all(handles.map((h) => h.close())).then(() => process.exit(0))
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })

program
  .command('config')
  .description('configuration')
  .command('check')
  .description('validate gateway.yaml and every tenant file; exits non-zero on problems')
  .action(checkConfig)

const token = program.command('token').description('manage gateway bearer tokens')

token
  .command('create')
  .description('create a bearer token for one tenant connection (shown once)')
  .requiredOption('--tenant <tenant>', 'tenant id')
  .requiredOption('--connection <connection>', 'connection name')
  .option('--expires <duration>', 'lifetime, e.g. 90d', parseDuration)
  .option('--label <label>', 'a note to recognise the token by')
  .action(
    async (opts: { tenant: string; connection: string; expires?: number; label?: string }) => {
      await withTokenStore(async (store, settings) => {
        const tenants = await loadConfiguration(settings, env)
        if (!tenants.ok)
          throw new GatewayError(
            'ERR_CONFIG_INVALID',
            tenants.problems.map(formatProblem).join('\n'),
          )
        if (!tenants.tenants.get(opts.tenant)?.connections[opts.connection]) {
          throw new GatewayError(
            'ERR_TOKEN_SCOPE',
            `No connection ${opts.connection} in tenant ${opts.tenant} (${resolve(settings.tenantsDir)})`,
          )
        }
        const now = new Date()
        const issued = await issueToken(store, {
          tenant: opts.tenant,
          connection: opts.connection,
          now,
          ...(opts.label ? { label: opts.label } : {}),
          ...(opts.expires ? { expiresAt: new Date(now.getTime() + opts.expires) } : {}),
        })
        process.stderr.write(
          `Token ${issued.record.id} for ${opts.tenant}/${opts.connection}${issued.record.expiresAt ? `, expires ${issued.record.expiresAt}` : ''}. It is shown once:\n`,
        )
        process.stdout.write(`${issued.token}\n`)
      })
    },
  )

token
  .command('list')
  .description('list tokens (metadata only, never the secret)')
  .option('--tenant <tenant>', 'only this tenant')
  .action(async (opts: { tenant?: string }) => {
    await withTokenStore(async (store) => {
      for (const t of await store.list(opts.tenant ? { tenant: opts.tenant } : {})) {
        const state = t.revokedAt
          ? 'revoked'
          : t.expiresAt && Date.parse(t.expiresAt) <= Date.now()
            ? 'expired'
            : 'active'
        process.stdout.write(
          `${t.id}  ${t.tenant}/${t.connection}  ${state}  prefix=scgw_${t.prefix}  created=${t.createdAt}  expires=${t.expiresAt ?? 'never'}  lastUsed=${t.lastUsedAt ?? 'never'}${t.label ? `  label=${t.label}` : ''}\n`,
        )
      }
    })
  })

token
  .command('revoke')
  .description('revoke a token by id')
  .argument('<id>', 'token id (from token list)')
  .action(async (id: string) => {
    await withTokenStore(async (store) => {
      if (!(await store.revoke(id, new Date().toISOString())))
        throw new GatewayError('ERR_TOKEN_SCOPE', `No active token ${id}`)
      process.stdout.write(`Revoked ${id}\n`)
    })
  })

async function withOutbox<T>(work: (store: OutboxStore) => Promise<T>) {
  const settings = await settingsFromEnv()
  const db = await openDatabase(settings.database)
  try {
    return await work(createOutboxStore(db))
  } finally {
    await db.destroy()
  }
}

const outbox = program.command('outbox').description('see and manage the outbox of outbound work')

outbox
  .command('list')
  .description('list jobs, newest first (never secrets: payloads hold none)')
  .option('--tenant <tenant>', 'only this tenant')
  .option('--state <state>', 'queued, running, done or dead')
  .action(async (opts: { tenant?: string; state?: string }) => {
    if (opts.state && !['queued', 'running', 'done', 'dead'].includes(opts.state)) {
      throw new InvalidArgumentError('state must be queued, running, done or dead')
    }
    await withOutbox(async (store) => {
      const jobs = await store.list({
        ...(opts.tenant ? { tenant: opts.tenant } : {}),
        ...(opts.state ? { state: opts.state as JobState } : {}),
      })
      for (const j of jobs) {
        process.stdout.write(
          `${j.id}  ${j.connectionKey}  ${j.kind}  ${j.resource}  ${j.state}  attempts=${j.attempts}  next=${j.nextAttemptAt}${j.lastError ? `  error=${j.lastError}` : ''}\n`,
        )
      }
    })
  })

outbox
  .command('retry')
  .description('send a dead job round again, now')
  .argument('<id>', 'job id')
  .action(async (id: string) => {
    await withOutbox(async (store) => {
      if (!(await store.retry(Number(id), new Date().toISOString())))
        throw new GatewayError('ERR_OUTBOX_JOB', `No dead or queued job ${id}`)
      process.stdout.write(`Queued ${id} again\n`)
    })
  })

outbox
  .command('drop')
  .description('drop a job that is not running')
  .argument('<id>', 'job id')
  .action(async (id: string) => {
    await withOutbox(async (store) => {
      if (!(await store.drop(Number(id))))
        throw new GatewayError('ERR_OUTBOX_JOB', `No job ${id} that is not running`)
      process.stdout.write(`Dropped ${id}\n`)
    })
  })

interface ConnectorTestOptions {
  tenant: string
  connection: string
  email?: string
  yes?: boolean
}

/** `connector test`: what Entra's Test Connection does, and optionally a user's whole life. */
async function testConnector(opts: ConnectorTestOptions) {
  if (opts.email !== undefined && !opts.yes) {
    process.stderr.write(
      `${invitationWarning(opts.email)}\nNothing was done. Run again with --yes to go ahead.\n`,
    )
    process.exitCode = 2
    return
  }
  const settings = await settingsFromEnv()
  // Logs go to stderr: stdout is the table, for the operator and for scripts.
  const log = createLogger({ level: env.LOG_LEVEL ?? 'warn', destination: process.stderr })
  // No listening and no outbox worker: this process only runs the test, then exits.
  const gateway = await createGateway({
    settings,
    log,
    adminToken: randomBytes(24).toString('base64url'),
    env,
    worker: false,
  })
  try {
    const generation = gateway.config.current()
    const resolved = generation.built.resolveConnection(opts.tenant, opts.connection)
    if (!resolved) {
      throw new GatewayError(
        'ERR_SELF_TEST',
        `No connection ${opts.connection} in tenant ${opts.tenant} (${resolve(settings.tenantsDir)})`,
      )
    }
    const profile = generation.profiles.get(resolved.config.connector)
    const deletePolicy = profile
      ? (resolved.config.deletePolicy ?? profile.deletePolicy)
      : undefined
    // A product connection's check of its own credential; the directory has no product.
    const probe = resolved.jobs?.probe
    process.stdout.write(
      `Self-test of ${opts.tenant}/${opts.connection} (${resolved.config.connector})\n`,
    )
    if (opts.email !== undefined) {
      process.stdout.write(
        `${invitationWarning(opts.email)}\nDelete policy: ${deletePolicy ?? 'directory'} (${describeDeletePolicy(deletePolicy)})\n`,
      )
    }
    const steps = await runSelfTest({
      service: resolved.service,
      ...(probe ? { probe } : {}),
      ...(profile ? { product: profile.product } : {}),
      ...(opts.email !== undefined ? { email: opts.email } : {}),
      ...(deletePolicy ? { deletePolicy } : {}),
      now: () => new Date(),
    })
    process.stdout.write(`\n${formatSelfTest(steps)}`)
    process.exitCode = steps.every((s) => s.ok) ? 0 : 1
  } finally {
    await gateway.close()
  }
}

program
  .command('connector')
  .description('connections to products')
  .command('test')
  .description(
    "run what Entra's Test Connection does against a connection; with --email and --yes, also create, read, update and delete a throw-away user",
  )
  .requiredOption('--tenant <tenant>', 'tenant id')
  .requiredOption('--connection <connection>', 'connection name')
  .option('--email <address>', 'a throw-away user for the write cycle (the product may invite it)')
  .option('--yes', 'confirm the write cycle against the real product')
  .action(async (opts: ConnectorTestOptions) => {
    await testConnector(opts)
    // A one-shot command ends once the gateway is closed: the outbox worker's stop() leaves
    // its bounded wait (10 s) armed, which would otherwise hold the process open that long.
    process.exit()
  })

program.parseAsync().catch((err: unknown) => {
  if (err instanceof GatewayError) {
    process.stderr.write(`${err.code}: ${err.message}\n`)
  } else {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  }
  process.exit(1)
})
