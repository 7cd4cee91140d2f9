import { readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { Ajv, type JSONSchemaType } from 'ajv'
import type { DialectSetting } from '../scim/dialects.ts'
import { readYamlFile, type ConfigProblem } from './yaml-file.ts'

export interface ConnectionConfig {
  connector: 'directory'
}

/** One customer organisation: `config/<tenant>.yaml`. */
export interface TenantConfig {
  tenant: string
  displayName?: string
  dialect?: DialectSetting
  connections: Record<string, ConnectionConfig>
}

/** Tenant and connection names: safe in URLs and file names, no traversal, no odd characters. */
export const NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$'

const schema: JSONSchemaType<TenantConfig> = {
  type: 'object',
  additionalProperties: false,
  required: ['tenant', 'connections'],
  properties: {
    tenant: { type: 'string', pattern: NAME_PATTERN },
    displayName: { type: 'string', nullable: true, maxLength: 200 },
    dialect: { type: 'string', nullable: true, enum: ['auto', 'entra', 'okta', 'generic'] },
    connections: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: NAME_PATTERN },
      required: [],
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['connector'],
        properties: { connector: { type: 'string', enum: ['directory'] } },
      },
    },
  },
}

const validate = new Ajv({ allErrors: true }).compile(schema)

export type TenantsResult =
  | { ok: true; tenants: ReadonlyMap<string, TenantConfig> }
  | { ok: false; problems: ConfigProblem[] }

/** Loads every `*.yaml` in the tenants folder; all problems are reported together. */
export async function loadTenants(dir: string): Promise<TenantsResult> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort()
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
    const tenant = result.value
    const expected = basename(name).replace(/\.ya?ml$/, '')
    if (tenant.tenant !== expected) {
      problems.push({
        file,
        line: 1,
        message: `tenant: ${tenant.tenant} must match the file name (${expected})`,
      })
      continue
    }
    const earlier = fileOf.get(tenant.tenant)
    if (earlier) {
      problems.push({
        file,
        line: 1,
        message: `tenant ${tenant.tenant} is already defined in ${earlier}`,
      })
      continue
    }
    fileOf.set(tenant.tenant, file)
    tenants.set(tenant.tenant, Object.freeze(tenant))
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, tenants }
}
