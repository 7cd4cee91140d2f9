import { readdir } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Ajv } from 'ajv'
import type { DialectSetting } from '../scim/dialects.ts'
import { isSecretReference, resolveSecret } from './secret-refs.ts'
import { Secret } from './secret.ts'
import {
  JWT_ALGORITHMS,
  tenantSchema,
  type ConnectionFile,
  type DeletePolicy,
  type JwtAlgorithm,
  type JwtFile,
  type TenantFile,
} from './tenant-schema.ts'
import { readYamlFile, type ConfigProblem } from './yaml-file.ts'

export { NAME_PATTERN } from './tenant-schema.ts'

export interface ConnectionConfig {
  connector: string
  baseUrl?: string
  /** Resolved upstream secrets; each prints as `[secret]`. */
  secrets: Readonly<Record<string, Secret>>
  settings: Readonly<Record<string, unknown>>
  deletePolicy?: DeletePolicy
  rateLimit?: { requestsPerSecond: number; burst: number }
}

export type JwtKeySource =
  | { kind: 'jwksUri'; url: string }
  | { kind: 'jwks'; jwks: { keys: Record<string, unknown>[] } }
  | { kind: 'pem'; pem: string }

export interface JwtConfig {
  issuer: string
  audience: string[]
  keySource: JwtKeySource
  algorithms: JwtAlgorithm[]
  requiredClaims: Readonly<Record<string, string>>
  clockToleranceSeconds: number
  jwksCooldownSeconds: number
}

/** One customer organisation, validated, with references resolved. */
export interface TenantConfig {
  tenant: string
  displayName: string
  dialect: DialectSetting
  jwt?: JwtConfig
  connections: Readonly<Record<string, ConnectionConfig>>
  file: string
}

export interface LoadTenantsOptions {
  env: Readonly<Record<string, string | undefined>>
  /** Connector names a connection may use (built-in and profiles). */
  connectors: readonly string[]
}

export type TenantsResult =
  | { ok: true; tenants: ReadonlyMap<string, TenantConfig> }
  | { ok: false; problems: ConfigProblem[] }

const validate = new Ajv({ allErrors: true }).compile<TenantFile>(tenantSchema)

type Report = (keys: readonly string[], message: string) => void

function resolveConnection(
  name: string,
  file: ConnectionFile,
  options: LoadTenantsOptions,
  baseDir: string,
  report: Report,
): ConnectionConfig {
  const at = ['connections', name]
  if (!options.connectors.includes(file.connector)) {
    report(
      [...at, 'connector'],
      `connections.${name}.connector: unknown connector ${file.connector} (known: ${options.connectors.join(', ')})`,
    )
  }
  const secrets: Record<string, Secret> = {}
  for (const [key, reference] of Object.entries(file.secrets ?? {})) {
    const result = resolveSecret(reference, options.env, baseDir)
    if (result.ok) secrets[key] = new Secret(result.value)
    else report([...at, 'secrets', key], `connections.${name}.secrets.${key} ${result.message}`)
  }
  return Object.freeze({
    connector: file.connector,
    ...(file.baseUrl ? { baseUrl: file.baseUrl.replace(/\/+$/, '') } : {}),
    secrets: Object.freeze(secrets),
    settings: Object.freeze({ ...(file.settings ?? {}) }),
    ...(file.deletePolicy ? { deletePolicy: file.deletePolicy } : {}),
    ...(file.rateLimit
      ? {
          rateLimit: {
            requestsPerSecond: file.rateLimit.requestsPerSecond,
            burst: file.rateLimit.burst ?? Math.max(1, Math.ceil(file.rateLimit.requestsPerSecond)),
          },
        }
      : {}),
  })
}

function resolveJwt(
  jwt: JwtFile,
  env: LoadTenantsOptions['env'],
  baseDir: string,
  report: Report,
): JwtConfig | undefined {
  const sources = [jwt.jwksUri, jwt.jwks, jwt.publicKeyPem].filter((s) => s !== undefined)
  if (sources.length !== 1) {
    report(['jwt'], 'jwt needs exactly one key source: jwksUri, jwks or publicKeyPem')
    return undefined
  }
  let keySource: JwtKeySource
  if (jwt.jwksUri) keySource = { kind: 'jwksUri', url: jwt.jwksUri }
  else if (jwt.jwks) keySource = { kind: 'jwks', jwks: jwt.jwks }
  else {
    // A public key is not a secret: inline PEM or a ${file:…} reference both do.
    const text = jwt.publicKeyPem ?? ''
    const resolved = isSecretReference(text)
      ? resolveSecret(text, env, baseDir)
      : { ok: true as const, value: text }
    if (!resolved.ok) {
      report(['jwt', 'publicKeyPem'], `jwt.publicKeyPem ${resolved.message}`)
      return undefined
    }
    if (!resolved.value.includes('-----BEGIN PUBLIC KEY-----')) {
      report(
        ['jwt', 'publicKeyPem'],
        'jwt.publicKeyPem must be a PEM public key (-----BEGIN PUBLIC KEY-----)',
      )
      return undefined
    }
    keySource = { kind: 'pem', pem: resolved.value }
  }
  return {
    issuer: jwt.issuer,
    audience: typeof jwt.audience === 'string' ? [jwt.audience] : jwt.audience,
    keySource,
    algorithms: jwt.algorithms ?? (keySource.kind === 'pem' ? ['RS256'] : [...JWT_ALGORITHMS]),
    requiredClaims: Object.freeze({ ...(jwt.requiredClaims ?? {}) }),
    clockToleranceSeconds: jwt.clockToleranceSeconds ?? 60,
    jwksCooldownSeconds: jwt.jwksCooldownSeconds ?? 30,
  }
}

/** Loads every `*.yaml` in the tenants folder; all problems are reported together. */
export async function loadTenants(
  dir: string,
  options: LoadTenantsOptions,
): Promise<TenantsResult> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort()
  } catch (err) {
    return {
      ok: false,
      problems: [
        {
          file: dir,
          line: 1,
          message: `cannot read the tenants folder: ${(err as Error).message}`,
        },
      ],
    }
  }
  const problems: ConfigProblem[] = []
  const tenants = new Map<string, TenantConfig>()
  const fileOf = new Map<string, string>()
  for (const name of names) {
    const file = join(dir, name)
    const result = await readYamlFile(file, validate)
    if (!result.ok) {
      problems.push(...result.problems)
      continue
    }
    const raw = result.value
    const before = problems.length
    const report: Report = (keys, message) =>
      problems.push({ file, line: result.lineOf(keys), message })
    const expected = basename(name).replace(/\.ya?ml$/, '')
    if (raw.tenant !== expected)
      report(['tenant'], `tenant: ${raw.tenant} must match the file name (${expected})`)
    const earlier = fileOf.get(raw.tenant)
    if (earlier) report(['tenant'], `tenant ${raw.tenant} is already defined in ${earlier}`)
    const baseDir = dirname(file)
    const connections: Record<string, ConnectionConfig> = {}
    for (const [connection, spec] of Object.entries(raw.connections)) {
      connections[connection] = resolveConnection(connection, spec, options, baseDir, report)
    }
    const jwt = raw.jwt ? resolveJwt(raw.jwt, options.env, baseDir, report) : undefined
    if (problems.length > before) continue
    fileOf.set(raw.tenant, file)
    tenants.set(
      raw.tenant,
      Object.freeze({
        tenant: raw.tenant,
        displayName: raw.displayName ?? raw.tenant,
        dialect: raw.dialect ?? 'auto',
        ...(jwt ? { jwt } : {}),
        connections: Object.freeze(connections),
        file,
      }),
    )
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, tenants }
}
