import { findAttribute, findExtensionSchema, resolveAttributePath } from './attribute-paths.ts'
import { invalidValue } from './errors.ts'
import { commonAttributes, resourceTypeDefinitions, type AttributeDefinition } from './schemas.ts'
import type { JsonObject, JsonValue, Projection, ResourceType, ScimResource } from './types.ts'
import { isJsonObject } from './types.ts'

/** Lower-cased attribute names; `true` selects the whole attribute. */
type Selection = Map<string, Selection | true>
/** `undefined`: the default set; `'all'`: the parent was named whole; a map: only these. */
type Include = Selection | 'all' | undefined
/** What to keep of one level of a resource. */
interface Step {
  include: Include
  exclude: Selection | undefined
}

/** `schemas` is not a schema attribute, but a response without it is not SCIM (RFC 7643 §3). */
const schemasAttribute: AttributeDefinition = {
  name: 'schemas',
  type: 'reference',
  multiValued: true,
  description: 'The schemas of the resource.',
  required: true,
  caseExact: false,
  mutability: 'readOnly',
  returned: 'always',
  uniqueness: 'none',
}

/** The top level of a resource as one list: common, core, and extensions under their URN. */
function topLevelAttributes(type: ResourceType): AttributeDefinition[] {
  const definition = resourceTypeDefinitions[type]
  const extensions = definition.extensions.map(({ schema }): AttributeDefinition => ({
    ...schemasAttribute,
    name: schema.id,
    type: 'complex',
    multiValued: false,
    description: schema.description,
    required: false,
    mutability: 'readWrite',
    returned: 'default',
    subAttributes: schema.attributes,
  }))
  return [schemasAttribute, ...commonAttributes, ...definition.schema.attributes, ...extensions]
}

const TOP_LEVEL: Record<ResourceType, AttributeDefinition[]> = {
  User: topLevelAttributes('User'),
  Group: topLevelAttributes('Group'),
}

/** Resource keys of `path`, or `undefined` when the type has no such attribute. */
function keysOf(type: ResourceType, path: string): string[] | undefined {
  if (path.toLowerCase() === 'schemas') return ['schemas']
  const extension = findExtensionSchema(type, path)
  if (extension) return [extension.id]
  return resolveAttributePath(type, path)?.keys
}

/**
 * Unknown names are ignored, as RFC 7644 §3.4.2.5 allows; a list in which nothing resolves is
 * treated as absent, so `attributes=bogus` answers the default set rather than an empty shell.
 */
function buildSelection(type: ResourceType, paths: readonly string[] | undefined): Selection {
  const root: Selection = new Map()
  for (const path of paths ?? []) {
    const keys = keysOf(type, path.trim())
    if (!keys) continue
    let node = root
    for (const [i, key] of keys.entries()) {
      const lower = key.toLowerCase()
      const existing = node.get(lower)
      // A parent already selected whole covers its sub-attributes.
      if (existing === true) break
      if (i === keys.length - 1) {
        node.set(lower, true)
        break
      }
      const child: Selection = existing ?? new Map<string, Selection | true>()
      node.set(lower, child)
      node = child
    }
  }
  return root
}

/** RFC 7644 §3.9: `attributes` replaces the default set, so `excludedAttributes` is then moot. */
function selectionsOf(type: ResourceType, projection: Projection): Step {
  const include = buildSelection(type, projection.attributes)
  if (include.size > 0) return { include, exclude: undefined }
  const exclude = buildSelection(type, projection.excludedAttributes)
  return { include: undefined, exclude: exclude.size > 0 ? exclude : undefined }
}

const isEmpty = (value: JsonValue): boolean =>
  Array.isArray(value) ? value.length === 0 : isJsonObject(value) && Object.keys(value).length === 0

function projectValue(
  value: JsonValue,
  definitions: readonly AttributeDefinition[],
  include: Include,
  exclude: Selection | undefined,
): JsonValue | undefined {
  if (Array.isArray(value)) {
    const items = value
      .map((item) => projectValue(item, definitions, include, exclude))
      .filter((item): item is JsonValue => item !== undefined)
    return items.length === 0 && value.length > 0 ? undefined : items
  }
  if (!isJsonObject(value)) return value
  const projected = projectObject(value, definitions, include, exclude)
  return isEmpty(projected) && !isEmpty(value) ? undefined : projected
}

/** RFC 7643 §2.4 `returned`: always wins over exclusion, never wins over everything. */
function decide(
  definition: AttributeDefinition | undefined,
  key: string,
  include: Include,
  exclude: Selection | undefined,
): 'drop' | 'always' | Step {
  const returned = definition?.returned ?? 'default'
  if (returned === 'never') return 'drop'
  if (returned === 'always') return 'always'
  const lower = key.toLowerCase()
  const included: Selection | true | 'all' | undefined =
    include instanceof Map ? include.get(lower) : include
  if (include instanceof Map && included === undefined) return 'drop'
  if (returned === 'request' && included === undefined) return 'drop'
  const excluded = exclude?.get(lower)
  if (excluded === true) return 'drop'
  return { include: included === true ? 'all' : included, exclude: excluded }
}

function projectObject(
  object: JsonObject,
  definitions: readonly AttributeDefinition[],
  include: Include,
  exclude: Selection | undefined,
): JsonObject {
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(object)) {
    const definition = findAttribute(definitions, key)
    const step = decide(definition, key, include, exclude)
    if (step === 'drop') continue
    const projected =
      step !== 'always' && definition?.subAttributes
        ? projectValue(value, definition.subAttributes, step.include, step.exclude)
        : value
    if (projected !== undefined) out[key] = projected
  }
  return out
}

/**
 * RFC 7644 §3.4.2.5 and §3.9: keeps what `attributes` names, or drops what
 * `excludedAttributes` names; `id` and `schemas` always stay, `password` never leaves.
 */
export function applyProjection(
  type: ResourceType,
  resource: ScimResource,
  projection: Projection,
): ScimResource {
  const { include, exclude } = selectionsOf(type, projection)
  return projectObject(resource, TOP_LEVEL[type], include, exclude)
}

/**
 * Whether any part of the attribute at `path` would be returned, so a service can skip
 * loading `members` for `excludedAttributes=members`. Unknown paths answer `false`.
 */
export function wantsAttribute(type: ResourceType, projection: Projection, path: string): boolean {
  const keys = keysOf(type, path)
  if (!keys) return false
  let definitions: readonly AttributeDefinition[] = TOP_LEVEL[type]
  let step: Step = selectionsOf(type, projection)
  for (const key of keys) {
    const definition = findAttribute(definitions, key)
    const next = decide(definition, key, step.include, step.exclude)
    if (next === 'drop') return false
    if (next === 'always') return true
    step = next
    definitions = definition?.subAttributes ?? []
  }
  return true
}

/**
 * Reads an `attributes` or `excludedAttributes` value: a comma-separated query string
 * (RFC 7644 §3.4.2.5), repeated query parameters, or a SearchRequest's string array (§3.4.3).
 * `undefined` when no name is given.
 */
export function parseAttributeList(value: unknown, name = 'attributes'): string[] | undefined {
  if (value === undefined || value === null) return undefined
  const parts = Array.isArray(value) ? (value as unknown[]) : [value]
  const names: string[] = []
  for (const part of parts) {
    if (typeof part !== 'string') {
      throw invalidValue(`${name} must be a comma-separated list of attribute names`)
    }
    names.push(...part.split(',').map((n) => n.trim()))
  }
  const nonEmpty = names.filter((n) => n !== '')
  return nonEmpty.length > 0 ? nonEmpty : undefined
}
