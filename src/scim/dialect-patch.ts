import { stringify } from 'scim2-parse-filter'
import { leniencyOf, type Steps } from './dialect-steps.ts'
import { findKey, normaliseTargetValue, parseJsonText } from './dialect-values.ts'
import { invalidSyntax, invalidValue, noTarget } from './errors.ts'
import { expandPathlessValue, parsePatchPath, selectorOf, type PatchPath } from './patch-path.ts'
import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type PatchOperation,
  type ResourceType,
} from './types.ts'

type Op = PatchOperation['op']
const OPS: readonly string[] = ['add', 'replace', 'remove'] satisfies Op[]

/** One raw operation of a PatchOp body → zero or more RFC 7644 §3.5.2 operations. */
export function normaliseOperation(
  type: ResourceType,
  raw: unknown,
  index: number,
  steps: Steps,
): PatchOperation[] {
  const where = `Operations[${index}]`
  if (!isJsonObject(raw)) throw invalidSyntax(`${where} must be an object`)
  const op = readOp(raw, where, steps)
  const path = readPath(raw, where)
  const value = findKey(raw, 'value')
  if (op === 'remove') return normaliseRemove(type, path, value, where, steps)
  if (value === undefined) throw invalidValue(`${where}: "${op}" needs a value (RFC 7644 §3.5.2.1)`)
  if (path === undefined) return normalisePathless(type, op, value, where, steps)
  return normaliseTargeted(op, parsePatchPath(type, path), value, steps)
}

function readOp(raw: JsonObject, where: string, steps: Steps): Op {
  const op = findKey(raw, 'op')
  if (typeof op !== 'string') throw invalidSyntax(`${where} needs an "op" string`)
  const lower = op.toLowerCase()
  if (!isOp(lower)) throw invalidSyntax(`${where}: unknown op "${op}" (add, replace or remove)`)
  if (lower !== op && !steps.lowerCaseOp) {
    throw invalidSyntax(`${where}: op "${op}" must be "${lower}" (RFC 7644 §3.5.2)`)
  }
  return lower
}

function isOp(value: string): value is Op {
  return OPS.includes(value)
}

function readPath(raw: JsonObject, where: string): string | undefined {
  const path = findKey(raw, 'path')
  if (path === undefined || path === null) return undefined
  if (typeof path !== 'string') throw invalidSyntax(`${where}: "path" must be a string`)
  return path
}

function normaliseRemove(
  type: ResourceType,
  path: string | undefined,
  value: JsonValue | undefined,
  where: string,
  steps: Steps,
): PatchOperation[] {
  if (path === undefined) throw noTarget(`${where}: "remove" needs a path (RFC 7644 §3.5.2.2)`)
  const target = parsePatchPath(type, path)
  if (value === undefined || value === null) return [{ op: 'remove', path: target.path }]
  if (!steps.removeByValue) {
    throw invalidSyntax(
      `${where}: "remove" selects with its path; RFC 7644 §3.5.2.2 gives it no value`,
    )
  }
  if (!target.attribute.multiValued || target.filter || target.subAttribute) {
    throw invalidValue(`${where}: "remove" with a value needs a multi-valued attribute path`)
  }
  const items = normaliseTargetValue(target, value, leniencyOf(steps))
  // Entra: `{"op":"Remove","path":"members","value":[{"value":"<id>"}]}` removes only the
  // listed members, so each becomes `members[value eq "<id>"]`, never a remove of them all.
  return (Array.isArray(items) ? items : [items]).map((item) => {
    const selector = selectorOf(item)
    if (!selector) throw invalidValue(`${where}: each value to remove needs a "value"`)
    return { op: 'remove', path: `${target.attributePath}[${stringify(selector)}]` }
  })
}

function normalisePathless(
  type: ResourceType,
  op: 'add' | 'replace',
  value: JsonValue,
  where: string,
  steps: Steps,
): PatchOperation[] {
  const object =
    typeof value === 'string' && steps.jsonStrings ? parseJsonText(value, where) : value
  if (!isJsonObject(object)) {
    throw invalidValue(
      `${where}: a path-less "${op}" needs an object of attributes (RFC 7644 §3.5.2.1)`,
    )
  }
  return expandPathlessValue(type, object).flatMap((entry) => {
    if (entry.qualified && !steps.qualifiedValueKeys) {
      throw invalidSyntax(
        `${where}: "${entry.path}" in a path-less value is a path, not an attribute name`,
      )
    }
    const target = parsePatchPath(type, entry.path)
    // Okta's rename `{"id":"<groupId>","displayName":"…"}`: the id only identifies the group.
    const readOnly = [target.attribute, target.subAttribute].some(
      (a) => a?.mutability === 'readOnly',
    )
    if (readOnly && steps.readOnlyValueKeys) return []
    if (entry.value === null && op === 'add') return []
    return normaliseTargeted(op, target, entry.value, steps)
  })
}

function normaliseTargeted(
  op: 'add' | 'replace',
  target: PatchPath,
  value: JsonValue,
  steps: Steps,
): PatchOperation[] {
  // RFC 7643 §2.5: null is unassigned, so replacing with null removes the attribute.
  if (value === null) {
    if (op === 'replace') return [{ op: 'remove', path: target.path }]
    throw invalidValue(`"add" needs a value for "${target.path}" (RFC 7644 §3.5.2.1)`)
  }
  return [{ op, path: target.path, value: normaliseTargetValue(target, value, leniencyOf(steps)) }]
}
