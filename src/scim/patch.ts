import { stringify } from 'scim2-parse-filter'
import { schemasOf } from './attribute-paths.ts'
import { findKey, normaliseTargetValue, STRICT_VALUES } from './dialect-values.ts'
import { invalidSyntax, invalidValue, noTarget, payloadTooLarge } from './errors.ts'
import { applyFilteredOperation } from './patch-filter.ts'
import { runScimPatch } from './patch-library.ts'
import {
  assertWritable,
  expandPathlessValue,
  parsePatchPath,
  selectorOf,
  walk,
  type PatchPath,
} from './patch-path.ts'
import { PATCH_OP_SCHEMA } from './schemas.ts'
import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type PatchOperation,
  type ResourceType,
  type ScimResource,
} from './types.ts'

export { splitMemberOperations, type MemberChange } from './patch-members.ts'

export const MAX_PATCH_OPERATIONS = 1000

/**
 * Validates a PatchOp body: schemas contains PATCH_OP_SCHEMA, Operations a non-empty array (max
 * 1,000 ops). Returns the raw operations. Key names match in any case (RFC 7643 §2.1).
 */
export function readPatchRequest(body: unknown): unknown[] {
  if (!isJsonObject(body))
    throw invalidSyntax('A PATCH body must be a JSON object (RFC 7644 §3.5.2)')
  const schemas = findKey(body, 'schemas')
  const patchOp = PATCH_OP_SCHEMA.toLowerCase()
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === patchOp)
  ) {
    throw invalidSyntax(`"schemas" must contain "${PATCH_OP_SCHEMA}" (RFC 7644 §3.5.2)`)
  }
  const operations = findKey(body, 'Operations')
  if (!Array.isArray(operations) || operations.length === 0) {
    throw invalidSyntax('"Operations" must be a non-empty array (RFC 7644 §3.5.2)')
  }
  // RFC 7644 §3.7.4 answers an oversized bulk request with 413; a PATCH is held to the same.
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw payloadTooLarge(
      `A PATCH holds at most ${MAX_PATCH_OPERATIONS} operations, not ${operations.length}`,
    )
  }
  return [...operations]
}

/**
 * RFC 7644 §3.5.2 on top of scim-patch. Pure: returns a new resource; never mutates the input.
 * Expects normalised operations (dialects.ts): values are type-checked strictly, so Entra's
 * `"False"` is `invalidValue` here. Throws ScimError (invalidPath, noTarget, invalidValue,
 * mutability).
 */
export function applyPatch(
  type: ResourceType,
  resource: ScimResource,
  operations: readonly PatchOperation[],
): ScimResource {
  const doc = structuredClone(resource)
  const extensionsIn = (d: JsonObject) =>
    schemasOf(type)
      .slice(1)
      .map((s) => s.id)
      .filter((urn) => urn in d)
  const before = extensionsIn(doc)
  for (const operation of operations) {
    const primaries = primariesOf(doc)
    applyOperation(type, doc, operation)
    demotePrimaries(doc, primaries)
  }
  syncSchemas(doc, before, extensionsIn(doc))
  return doc
}

/** The values marked `primary: true` of each multi-valued attribute, as JSON text. */
function primariesOf(doc: JsonObject): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>()
  for (const [key, value] of Object.entries(doc)) {
    if (!Array.isArray(value)) continue
    const primaries = value.filter((v) => isJsonObject(v) && v.primary === true)
    found.set(key, new Set(primaries.map((v) => JSON.stringify(v))))
  }
  return found
}

/**
 * RFC 7644 §3.5.2: "a PATCH operation that sets a value's "primary" sub-attribute to "true"
 * SHALL cause the server to automatically set "primary" to "false" for any other values".
 */
function demotePrimaries(doc: JsonObject, before: ReadonlyMap<string, Set<string>>): void {
  for (const [key, value] of Object.entries(doc)) {
    if (!Array.isArray(value)) continue
    const primaries = value.filter((v): v is JsonObject => isJsonObject(v) && v.primary === true)
    if (primaries.length < 2) continue
    const previous = before.get(key) ?? new Set<string>()
    const newly = primaries.filter((v) => !previous.has(JSON.stringify(v)))
    if (newly.length === 0) continue
    for (const v of primaries) if (!newly.includes(v)) v.primary = false
  }
}

function applyOperation(type: ResourceType, doc: JsonObject, operation: PatchOperation): void {
  if (operation.path === undefined) return applyPathless(type, doc, operation)
  const target = parsePatchPath(type, operation.path)
  assertWritable(target)
  const { op, value } = operation
  // RFC 7643 §2.5: null is unassigned, so a replace with null removes.
  if (op === 'remove' || (op === 'replace' && value === null)) {
    applyRemove(doc, target, op === 'remove' ? value : undefined)
  } else if (value === undefined || value === null) {
    throw invalidValue(`"${op}" needs a value for "${target.path}" (RFC 7644 §3.5.2.1)`)
  } else {
    const normalised = normaliseTargetValue(target, value, STRICT_VALUES)
    applyValue(doc, { op, path: target.path, value: normalised }, target)
  }
  pruneEmpty(doc, target.keys)
}

function applyValue(
  doc: JsonObject,
  operation: { op: 'add' | 'replace'; path: string; value: JsonValue },
  target: PatchPath,
): void {
  if (target.filter) return applyFilteredOperation(doc, operation, target, target.filter)
  if (target.subAttribute && target.attribute.multiValued && !hasArray(doc, target)) {
    throw noTarget(`"${target.attributePath}" has no values to set "${target.path}" on`)
  }
  runScimPatch(doc, operation)
}

/** RFC 7644 §3.5.2.1/§3.5.2.3: the value holds attributes; each is applied as its own path. */
function applyPathless(type: ResourceType, doc: JsonObject, operation: PatchOperation): void {
  if (operation.op === 'remove') throw noTarget('"remove" needs a path (RFC 7644 §3.5.2.2)')
  if (!isJsonObject(operation.value)) {
    throw invalidValue(
      `A path-less "${operation.op}" needs an object of attributes (RFC 7644 §3.5.2.1)`,
    )
  }
  for (const entry of expandPathlessValue(type, operation.value)) {
    if (entry.value === null && operation.op === 'add') continue
    applyOperation(type, doc, { op: operation.op, path: entry.path, value: entry.value })
  }
}

function applyRemove(doc: JsonObject, target: PatchPath, value: JsonValue | undefined): void {
  if (value === undefined || value === null) {
    if (target.filter)
      applyFilteredOperation(doc, { op: 'remove', path: target.path }, target, target.filter)
    else runScimPatch(doc, { op: 'remove', path: target.path })
    return
  }
  // A remove that lists elements in `value` (Entra's member removal): each listed element goes,
  // matched by its `value`, never the whole attribute. scim-patch would match by deep equality,
  // missing `{"value":"id"}` against a stored `{"value":"id","display":"…"}`.
  if (!target.attribute.multiValued || target.filter || target.subAttribute) {
    throw invalidValue(`"remove" with a value needs a multi-valued attribute, not "${target.path}"`)
  }
  const items = normaliseTargetValue(target, value, STRICT_VALUES)
  for (const item of Array.isArray(items) ? items : [items]) {
    const filter = selectorOf(item)
    if (!filter) throw invalidValue(`Each value to remove from "${target.path}" needs a "value"`)
    const path = `${target.attributePath}[${stringify(filter)}]`
    applyFilteredOperation(doc, { op: 'remove', path }, { ...target, filter, path }, filter)
  }
}

function hasArray(doc: JsonObject, target: PatchPath): boolean {
  const parent = walk(doc, target.keys.slice(0, -1))
  return Array.isArray(parent?.[target.keys[target.keys.length - 1] ?? ''])
}

/** RFC 7643 §2.5: an empty complex value (`name: {}`, an emptied extension) is unassigned. */
function pruneEmpty(doc: JsonObject, keys: readonly string[]): void {
  for (let depth = keys.length; depth > 0; depth--) {
    const parent = walk(doc, keys.slice(0, depth - 1))
    const key = keys[depth - 1] ?? ''
    const value = parent?.[key]
    if (parent && isJsonObject(value) && Object.keys(value).length === 0) delete parent[key]
  }
}

/** RFC 7643 §3: `schemas` lists the extensions the resource carries. */
function syncSchemas(doc: JsonObject, before: string[], after: string[]): void {
  const schemas = doc.schemas
  if (!Array.isArray(schemas)) return
  const same = (a: JsonValue, b: string) =>
    typeof a === 'string' && a.toLowerCase() === b.toLowerCase()
  const removed = before.filter((urn) => !after.includes(urn))
  const added = after.filter((urn) => !schemas.some((s) => same(s, urn)))
  const kept = schemas.filter((s) => !removed.some((urn) => same(s, urn)))
  if (removed.length > 0 || added.length > 0) doc.schemas = [...kept, ...added]
}
