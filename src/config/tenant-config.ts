import { readAccessRules } from '../connectors/access-rules.ts'
import { readdir } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Ajv } from 'ajv'
import type { DialectSetting } from '../scim/dialects.ts'
import { isSecretReference, resolveSecret } from './secret-refs.ts'
import { Secret } from './secret.ts'
import {
  JWT_ALGORITHMS,
  NAME_PATTERN,
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

/** What a connector needs of a connection, checked when tenant files load. */
export interface ConnectorInfo {
  /** Settings the connector reads; any other setting is refused. */
  settings: Readonly<
    Record<
      string,
      {
        type: 'string' | 'date' | 'string-list' | 'access-rules'
        required?: boolean
        default?: string | readonly string[]
        /** access-rules: the settings listing the roles and units a rule may name. */
        roles?: string
        units?: string
      }
    >
  >
  deletePolicies: readonly string[]
  /** The secret the connector authenticates with upstream, when it calls one. */
  secret?: string
  needsBaseUrl: boolean
}

export interface LoadTenantsOptions {
  env: Readonly<Record<string, string | undefined>>
  /** Connectors a connection may use (built-in and profiles), by name. */
  connectors: ReadonlyMap<string, ConnectorInfo>
}

export type TenantsResult =
  | { ok: true; tenants: ReadonlyMap<string, TenantConfig> }
  | { ok: false; problems: ConfigProblem[] }

const validate = new Ajv({ allErrors: true }).compile<TenantFile>(tenantSchema)

type Report = (keys: readonly string[], message: string) => void

const NAME = new RegExp(NAME_PATTERN)

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// The checks below take what the file holds, typed or not: they also run on a file the
// schema refused, so that every problem in a file is reported at once. What the schema
// already reports (a value of the wrong type or shape) they skip.

function checkTenantName(tenant: unknown, expected: string, report: Report): void {
  if (typeof tenant === 'string' && NAME.test(tenant) && tenant !== expected)
    report(['tenant'], `tenant: ${tenant} must match the file name (${expected})`)
}

function checkConnector(
  name: string,
  connector: unknown,
  options: LoadTenantsOptions,
  report: Report,
): void {
  if (typeof connector !== 'string' || !NAME.test(connector)) return
  if (!options.connectors.has(connector)) {
    report(
      ['connections', name, 'connector'],
      `connections.${name}.connector: unknown connector ${connector} (known: ${[...options.connectors.keys()].join(', ')})`,
    )
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/

/** A connection against what its connector needs: base URL, credential, settings, delete policy. */
function checkAgainstConnector(
  name: string,
  file: ConnectionFile,
  info: ConnectorInfo | undefined,
  report: Report,
): void {
  if (!info) return
  const at = ['connections', name]
  const label = `connections.${name}`
  if (info.needsBaseUrl && !file.baseUrl)
    report(at, `${label}.baseUrl is required by connector ${file.connector}`)
  if (info.secret && !file.secrets?.[info.secret]) {
    report(at, `${label}.secrets.${info.secret} is required by connector ${file.connector}`)
  }
  if (file.deletePolicy && !info.deletePolicies.includes(file.deletePolicy)) {
    report(
      [...at, 'deletePolicy'],
      `${label}.deletePolicy must be one of ${info.deletePolicies.join(', ')} for connector ${file.connector}`,
    )
  }
  const settings = file.settings ?? {}
  for (const [key, value] of Object.entries(settings)) {
    const spec = info.settings[key]
    if (!spec) {
      report(
        [...at, 'settings', key],
        `${label}.settings.${key} is not a setting of connector ${file.connector}`,
      )
      continue
    }
    if (spec.type === 'access-rules') {
      const listOf = (name: string | undefined): readonly string[] => {
        if (name === undefined) return []
        const value = settings[name] ?? info.settings[name]?.default
        return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
      }
      const { problems } = readAccessRules(value, listOf(spec.roles), listOf(spec.units))
      for (const problem of problems)
        report(
          [...at, 'settings', key, ...problem.keys.map(String)],
          `${label}.settings.${key}: ${problem.message}`,
        )
      continue
    }
    // YAML reads an unquoted 2027-05-01 as a date; both spellings are accepted.
    const text = value instanceof Date ? value.toISOString().slice(0, 10) : value
    const ok =
      spec.type === 'string-list'
        ? Array.isArray(value) && value.every((v) => typeof v === 'string')
        : spec.type === 'date'
          ? typeof text === 'string' && DATE.test(text) && !Number.isNaN(Date.parse(text))
          : typeof value === 'string'
    if (!ok)
      report(
        [...at, 'settings', key],
        `${label}.settings.${key} must be ${spec.type === 'date' ? 'a date (YYYY-MM-DD)' : spec.type === 'string-list' ? 'a list of strings' : 'a string'}`,
      )
  }
  for (const [key, spec] of Object.entries(info.settings)) {
    if (spec.required && settings[key] === undefined)
      report(at, `${label}.settings.${key} is required by connector ${file.connector}`)
  }
}

function resolveSecrets(
  name: string,
  references: unknown,
  options: LoadTenantsOptions,
  baseDir: string,
  report: Report,
): Record<string, Secret> {
  const secrets: Record<string, Secret> = {}
  if (!isRecord(references)) return secrets
  for (const [key, reference] of Object.entries(references)) {
    if (typeof reference !== 'string') continue
    const result = resolveSecret(reference, options.env, baseDir)
    if (result.ok) secrets[key] = new Secret(result.value)
    else
      report(
        ['connections', name, 'secrets', key],
        `connections.${name}.secrets.${key} ${result.message}`,
      )
  }
  return secrets
}

function checkKeySources(jwt: Record<string, unknown>, report: Report): boolean {
  const sources = ['jwksUri', 'jwks', 'publicKeyPem'].filter((k) => jwt[k] !== undefined)
  if (sources.length === 1) return true
  report(['jwt'], 'jwt needs exactly one key source: jwksUri, jwks or publicKeyPem')
  return false
}

/** A generation is never changed in place: plain objects and arrays are frozen all the way down. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Secret)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

/** What can still be checked in a file the schema refused. */
function checkRefusedFile(
  raw: unknown,
  expected: string,
  options: LoadTenantsOptions,
  baseDir: string,
  report: Report,
): void {
  if (!isRecord(raw)) return
  checkTenantName(raw.tenant, expected, report)
  if (isRecord(raw.connections)) {
    for (const [name, spec] of Object.entries(raw.connections)) {
      if (!isRecord(spec)) continue
      checkConnector(name, spec.connector, options, report)
      resolveSecrets(name, spec.secrets, options, baseDir, report)
    }
  }
  if (isRecord(raw.jwt)) checkKeySources(raw.jwt, report)
}

function resolveConnection(
  name: string,
  file: ConnectionFile,
  options: LoadTenantsOptions,
  baseDir: string,
  report: Report,
): ConnectionConfig {
  checkConnector(name, file.connector, options, report)
  checkAgainstConnector(name, file, options.connectors.get(file.connector), report)
  const secrets = resolveSecrets(name, file.secrets, options, baseDir, report)
  return Object.freeze({
    connector: file.connector,
    ...(file.baseUrl ? { baseUrl: file.baseUrl.replace(/\/+$/, '') } : {}),
    secrets: Object.freeze(secrets),
    settings: Object.freeze(
      Object.fromEntries(
        Object.entries(file.settings ?? {}).map(([k, v]) => [
          k,
          v instanceof Date ? v.toISOString().slice(0, 10) : v,
        ]),
      ),
    ),
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
  if (!checkKeySources({ ...jwt }, report)) return undefined
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

async function loadTenantFile(
  file: string,
  name: string,
  options: LoadTenantsOptions,
  fileOf: ReadonlyMap<string, string>,
  problems: ConfigProblem[],
): Promise<TenantConfig | undefined> {
  const expected = basename(name).replace(/\.ya?ml$/, '')
  const baseDir = dirname(file)
  const result = await readYamlFile(file, validate)
  if (!result.ok) {
    problems.push(...result.problems)
    const parsed = result.parsed
    if (parsed) {
      const report: Report = (keys, message) =>
        problems.push({ file, line: parsed.lineOf(keys), message })
      checkRefusedFile(parsed.value, expected, options, baseDir, report)
    }
    return undefined
  }
  const raw = result.value
  const report: Report = (keys, message) =>
    problems.push({ file, line: result.lineOf(keys), message })
  checkTenantName(raw.tenant, expected, report)
  const earlier = fileOf.get(raw.tenant)
  if (earlier) report(['tenant'], `tenant ${raw.tenant} is already defined in ${earlier}`)
  const connections: Record<string, ConnectionConfig> = {}
  for (const [connection, spec] of Object.entries(raw.connections)) {
    connections[connection] = resolveConnection(connection, spec, options, baseDir, report)
  }
  const jwt = raw.jwt ? resolveJwt(raw.jwt, options.env, baseDir, report) : undefined
  return deepFreeze({
    tenant: raw.tenant,
    displayName: raw.displayName ?? raw.tenant,
    dialect: raw.dialect ?? 'auto',
    ...(jwt ? { jwt } : {}),
    connections: Object.freeze(connections),
    file,
  })
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
    const found: ConfigProblem[] = []
    const tenant = await loadTenantFile(file, name, options, fileOf, found)
    // One file's problems in the order they stand in the file.
    problems.push(...found.sort((a, b) => a.line - b.line))
    if (!tenant || found.length > 0) continue
    fileOf.set(tenant.tenant, file)
    tenants.set(tenant.tenant, tenant)
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, tenants }
}
