import { parse, type Filter } from 'scim2-parse-filter'
import { findAttribute, resolveAttributePath, type ResolvedPath } from './attribute-paths.ts'
import { invalidFilter } from './errors.ts'
import { resourceTypeDefinitions, type AttributeDefinition } from './schemas.ts'
import type { ResourceType } from './types.ts'

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'lt' | 'ge' | 'le'
export type FilterValue = string | number | boolean | null
export type FilterNode =
  | { op: 'and' | 'or'; filters: FilterNode[] }
  | { op: 'not'; filter: FilterNode }
  | { op: 'pr'; attrPath: string }
  | { op: CompareOp; attrPath: string; compValue: FilterValue }
  | { op: '[]'; attrPath: string; valFilter: FilterNode }

const MAX_LENGTH = 4096
const MAX_DEPTH = 32
const COMPARE_OPS: ReadonlySet<string> = new Set('eq ne co sw ew gt lt ge le'.split(' '))
const ORDERING_OPS: ReadonlySet<string> = new Set(['gt', 'ge', 'lt', 'le'])
// RFC 7644 §3.4.2.2 compValue: JSON literals and numbers, case-sensitive as in RFC 7159.
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/
const LITERALS: Readonly<Record<string, FilterValue>> = { true: true, false: false, null: null }

interface Token {
  kind: 'string' | 'word' | '(' | ')' | '[' | ']'
  text: string
  /** No whitespace before it: `].value` binds the sub-attribute to the bracket. */
  glued: boolean
}

/** A comparison value as the client wrote it; `bare` when it was not quoted. */
type Slot = { value: FilterValue; bare: boolean; raw: string }

/**
 * What the library gets: attribute paths become `aN` and values `"N"`, so the library only
 * builds the tree (precedence, parentheses, `not`, brackets) and never decodes our text. Its
 * own string decoding doubles backslashes, and its words cannot spell `$ref`.
 */
type Prepared = { text: string; attrs: string[]; values: Slot[] }

/** Parses and resolves a filter for a resource type; throws ScimError invalidFilter. */
export function parseFilter(type: ResourceType, text: string): FilterNode {
  if (text.length > MAX_LENGTH) throw invalidFilter(`Filter is over ${MAX_LENGTH} characters`)
  if (text.trim() === '') throw invalidFilter('Filter is empty')
  const prepared = prepareFilter(tokenize(text))
  let tree: Filter
  try {
    tree = parse(prepared.text)
  } catch {
    // The library's message names our placeholders, not the client's text.
    throw invalidFilter('Filter is not valid RFC 7644 §3.4.2.2 syntax')
  }
  if (depthOf(tree) > MAX_DEPTH) throw tooDeep()
  return resolveNode(tree, prepared, { type })
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  const next = /(\s+)|("(?:[^"\\]|\\[\s\S])*")|([()[\]])|[^\s"()[\]]+/y
  let glued = false
  while (next.lastIndex < text.length) {
    const match = next.exec(text)
    // Only an opening quote without its closing quote matches nothing.
    if (!match) throw invalidFilter('Filter has an unterminated string')
    if (match[1]) {
      glued = false
      continue
    }
    const kind = match[2] ? 'string' : ((match[3] ?? 'word') as Token['kind'])
    tokens.push({ kind, text: match[0], glued })
    glued = true
  }
  return tokens
}

/**
 * Walks the tokens once, checking the flat shape (attribute, operator, value, `and`/`or`),
 * balance and depth, and rewrites Entra's `attr[F].sub op v` into `attr[(F) and sub op v]`:
 * the library turns the former into two conditions that may hold on different elements.
 */
function prepareFilter(tokens: readonly Token[]): Prepared {
  const out: string[] = []
  const attrs: string[] = []
  const values: Slot[] = []
  const open: { kind: '(' | '['; at: number; closeAfterValue: boolean }[] = []
  let state: 'attr' | 'op' | 'value' | 'after' = 'attr'
  const finishCondition = () => {
    if (open.at(-1)?.closeAfterValue) {
      open.pop()
      out.push(']')
    }
    return 'after' as const
  }
  const pushAttr = (path: string) => {
    out.push(`a${attrs.length}`)
    attrs.push(path)
    return 'op' as const
  }
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i]!
    const lower = token.text.toLowerCase()
    if (state === 'attr') {
      if (token.kind === '(') {
        open.push({ kind: '(', at: out.length, closeAfterValue: false })
        if (open.length > MAX_DEPTH) throw tooDeep()
        out.push('(')
      } else if (token.kind === 'word' && lower === 'not') out.push('not')
      else if (token.kind === 'word' && lower !== 'and' && lower !== 'or') {
        state = pushAttr(token.text)
      } else throw invalidFilter(`Expected an attribute name at ${quoteToken(token)}`)
    } else if (state === 'op') {
      if (token.kind === 'word' && COMPARE_OPS.has(lower)) {
        out.push(lower)
        state = 'value'
      } else if (token.kind === 'word' && lower === 'pr') {
        out.push('pr')
        state = finishCondition()
      } else if (token.kind === '[') {
        // RFC 7644 errata 4690: value paths do not nest.
        if (open.some((o) => o.kind === '[')) throw invalidFilter('Value filters cannot be nested')
        open.push({ kind: '[', at: out.length, closeAfterValue: false })
        out.push('[')
        state = 'attr'
      } else throw invalidFilter(`Expected an operator at ${quoteToken(token)}`)
    } else if (state === 'value') {
      if (token.kind !== 'string' && token.kind !== 'word') {
        throw invalidFilter(`Expected a comparison value at ${quoteToken(token)}`)
      }
      out.push(`"${values.length}"`)
      values.push(readValue(token))
      state = finishCondition()
    } else if (token.kind === 'word' && (lower === 'and' || lower === 'or')) {
      out.push(lower)
      state = 'attr'
    } else if (token.kind === ')' || token.kind === ']') {
      const opener = open.pop()
      if (opener?.kind !== (token.kind === ')' ? '(' : '[')) {
        throw invalidFilter(`Unbalanced '${token.text}' in filter`)
      }
      const next = tokens[i + 1]
      if (token.kind === ']' && next?.kind === 'word' && next.glued && next.text.startsWith('.')) {
        out.splice(opener.at + 1, 0, '(')
        out.push(')', 'and')
        open.push({ ...opener, closeAfterValue: true })
        state = pushAttr(next.text.slice(1))
        i += 1
      } else out.push(token.text)
    } else
      throw invalidFilter(`Expected 'and', 'or' or the end of the filter at ${quoteToken(token)}`)
  }
  if (state !== 'after') throw invalidFilter('Filter ends before its last condition is complete')
  if (open.length > 0) throw invalidFilter(`Unbalanced '${open.at(-1)?.kind}' in filter`)
  return { text: out.join(' '), attrs, values }
}

const tooDeep = () => invalidFilter(`Filter nests deeper than ${MAX_DEPTH} levels`)

const quoteToken = (token: Token) => `'${token.text.slice(0, 40)}'`

function readValue(token: Token): Slot {
  const raw = token.text
  if (token.kind === 'string') {
    // RFC 7644 §3.4.2.2: a string compValue is a JSON string (RFC 7159 escapes).
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      throw invalidFilter(`Filter has an invalid string ${quoteToken(token)}`)
    }
    return { value: String(value), bare: false, raw }
  }
  if (Object.hasOwn(LITERALS, raw)) return { value: LITERALS[raw] ?? null, bare: true, raw }
  if (JSON_NUMBER.test(raw)) return { value: Number(raw), bare: true, raw }
  // Entra's tutorial sends `externalId eq jyoung`: an unquoted word is read as a string.
  return { value: raw, bare: true, raw }
}

function depthOf(node: Filter): number {
  if (node.op === 'and' || node.op === 'or') return 1 + Math.max(...node.filters.map(depthOf))
  if (node.op === 'not') return 1 + depthOf(node.filter)
  if (node.op === '[]') return 1 + depthOf(node.valFilter)
  return 0
}

/** Top level resolves against the resource type; inside `attr[…]` against attr's sub-attributes. */
type Scope = { type: ResourceType } | { parent: ResolvedPath }

function resolveNode(node: Filter, prepared: Prepared, scope: Scope): FilterNode {
  switch (node.op) {
    case 'and':
    case 'or':
      return { op: node.op, filters: node.filters.map((f) => resolveNode(f, prepared, scope)) }
    case 'not':
      return { op: 'not', filter: resolveNode(node.filter, prepared, scope) }
    case '[]': {
      if (!('type' in scope)) throw invalidFilter('Value filters cannot be nested')
      const parent = resolvePath(scope, slotOf(prepared.attrs, node.attrPath, 'a'))
      if (parent.subAttribute || parent.attribute.type !== 'complex') {
        throw invalidFilter(`'${parent.path}' is not a complex attribute; it takes no value filter`)
      }
      return {
        op: '[]',
        attrPath: parent.path,
        valFilter: resolveNode(node.valFilter, prepared, { parent }),
      }
    }
    case 'pr': {
      const resolved = resolvePath(scope, slotOf(prepared.attrs, node.attrPath, 'a'))
      return { op: 'pr', attrPath: relativePath(scope, resolved) }
    }
    default: {
      const resolved = resolvePath(scope, slotOf(prepared.attrs, node.attrPath, 'a'))
      const slot = slotOf(prepared.values, node.compValue)
      const compValue = checkComparison(resolved, node.op, slot)
      return { op: node.op, attrPath: relativePath(scope, resolved), compValue }
    }
  }
}

/** Placeholders are ours (see `Prepared`); anything else means the library read us wrongly. */
function slotOf<T>(slots: readonly T[], placeholder: unknown, prefix = ''): T {
  const match = typeof placeholder === 'string' ? /^([a-z]?)(\d+)$/.exec(placeholder) : null
  const slot = match?.[1] === prefix ? slots[Number(match[2])] : undefined
  if (slot === undefined) throw invalidFilter('Filter is not valid RFC 7644 §3.4.2.2 syntax')
  return slot
}

function resolvePath(scope: Scope, path: string): ResolvedPath {
  if ('parent' in scope) {
    const { parent } = scope
    const sub = path.includes('.')
      ? undefined
      : findAttribute(parent.attribute.subAttributes ?? [], path)
    if (!sub) throw invalidFilter(`Unknown attribute '${path}' in value filter of '${parent.path}'`)
    return {
      ...parent,
      subAttribute: sub,
      path: `${parent.path}.${sub.name}`,
      keys: [...parent.keys, sub.name],
    }
  }
  const resolved = resolveAttributePath(scope.type, path) ?? resolveInExtensions(scope.type, path)
  if (!resolved) throw invalidFilter(`Unknown attribute '${path}' in ${scope.type} filter`)
  return resolved
}

/**
 * RFC 7644 §3.10 says clients SHOULD qualify extension attributes, but Entra sends
 * `manager eq "…"` unqualified: when the core schema has no such attribute, take the one
 * extension that has it.
 */
function resolveInExtensions(type: ResourceType, path: string): ResolvedPath | undefined {
  if (path.toLowerCase().startsWith('urn:')) return undefined
  const hits = resourceTypeDefinitions[type].extensions
    .map((e) => resolveAttributePath(type, `${e.schema.id}:${path}`))
    .filter((r) => r !== undefined)
  return hits.length === 1 ? hits[0] : undefined
}

function relativePath(scope: Scope, resolved: ResolvedPath): string {
  return 'parent' in scope ? (resolved.subAttribute?.name ?? '') : resolved.path
}

/** Returns the value to store, coerced where an IdP's spelling is unambiguous. */
function checkComparison(resolved: ResolvedPath, op: CompareOp, slot: Slot): FilterValue {
  const definition = comparedDefinition(resolved)
  const where = `'${resolved.path}'`
  if (ORDERING_OPS.has(op) && (definition.type === 'boolean' || definition.type === 'binary')) {
    // RFC 7644 §3.4.2.2: gt/ge/lt/le on Boolean and Binary attributes is invalidFilter.
    throw invalidFilter(`'${op}' cannot compare ${definition.type} attribute ${where}`)
  }
  const { value } = slot
  if (value === null) {
    if (op === 'eq' || op === 'ne') return null
    throw invalidFilter(`'${op}' cannot compare ${where} with null`)
  }
  if (definition.type === 'boolean' && typeof value === 'string') {
    const lower = value.toLowerCase()
    // Entra spells booleans as "True"/"False" strings in PATCH (IDP-BEHAVIOR.md); accept them here.
    if (lower === 'true' || lower === 'false') return lower === 'true'
  }
  if (definition.type === 'dateTime' && (typeof value !== 'string' || isNaN(Date.parse(value)))) {
    throw invalidFilter(`${where} is a dateTime; compare it with an ISO 8601 string`)
  }
  const stringLike = ['string', 'reference', 'binary'].includes(definition.type)
  // `externalId eq 12345` unquoted means the identifier "12345", not a number.
  if (stringLike && slot.bare && typeof value === 'number') return slot.raw
  return value
}

/**
 * RFC 7644 §3.4.2.2: a complex attribute needs a sub-attribute, except that a multi-valued
 * one (`emails co "x"`) compares its `value`; we extend that to `manager eq "id"` for Entra.
 */
function comparedDefinition(resolved: ResolvedPath): AttributeDefinition {
  const definition = resolved.subAttribute ?? resolved.attribute
  if (definition.type !== 'complex') return definition
  const value = findAttribute(definition.subAttributes ?? [], 'value')
  if (!value) {
    throw invalidFilter(`'${resolved.path}' is complex; filter on one of its sub-attributes`)
  }
  return value
}
