import { resolveAttributePath } from './attribute-paths.ts'
import { parseAttributeList } from './attributes.ts'
import { invalidFilter, invalidSyntax, invalidValue } from './errors.ts'
import { SEARCH_REQUEST_SCHEMA } from './schemas.ts'
import type { ResourceType, SortOrder } from './types.ts'

/** RFC 7644 §3.4.2 list parameters, checked and with `sortBy` in its canonical spelling. */
export interface ListParams {
  /** Left as text: the filter module parses it and answers `invalidFilter`. */
  filter?: string
  startIndex: number
  count: number
  sortBy?: string
  sortOrder: SortOrder
  attributes?: string[]
  excludedAttributes?: string[]
}

export interface ListParamsOptions {
  /** Page size when the client sends no `count` (capped by `maxCount`). */
  defaultCount: number
  /** Largest page; also advertised as `filter.maxResults` (RFC 7643 §5). */
  maxCount: number
  /** The source is a `POST /.search` SearchRequest body (RFC 7644 §3.4.3), not a query. */
  searchRequest?: boolean
}

/**
 * Looks a parameter up case-insensitively. A single-valued parameter given twice is ambiguous,
 * so refused; attribute lists may repeat (`?attributes=a&attributes=b`).
 */
function readParam(
  source: Record<string, unknown>,
  name: string,
  fromQuery: boolean,
  repeatable = false,
): unknown {
  const lower = name.toLowerCase()
  const values = Object.keys(source)
    .filter((key) => key.toLowerCase() === lower)
    .map((key) => source[key])
  const [value] = values
  if (values.length > 1 || (fromQuery && !repeatable && Array.isArray(value))) {
    throw invalidValue(`${name} must be given only once`)
  }
  return value
}

/**
 * Query values arrive as text, SearchRequest values as JSON numbers; anything else
 * (`count=abc`, `1.5`, `"10"` in a body) is refused (RFC 7644 §3.4.2.4 says integers).
 * Integers beyond the safe range are clamped to it; the RFC's clamping below then applies.
 */
function readInteger(value: unknown, name: string, fromQuery: boolean): number | undefined {
  if (value === undefined || value === null) return undefined
  if (fromQuery && typeof value === 'string' && /^[+-]?\d+$/.test(value)) {
    return clampSafe(Number(value))
  }
  if (!fromQuery && typeof value === 'number' && Number.isInteger(value)) return clampSafe(value)
  throw invalidValue(`${name} must be an integer`)
}

const clampSafe = (n: number): number =>
  Math.min(Number.MAX_SAFE_INTEGER, Math.max(Number.MIN_SAFE_INTEGER, n))

/** Echoes client text in an error detail, bounded so a hostile value cannot bloat the answer. */
const quote = (text: string): string =>
  JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)

function readString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw invalidValue(`${name} must be a string`)
  return value
}

/**
 * RFC 7644 §3.4.2.3 says nothing of an unknown `sortBy`; we take the strict reading and refuse
 * it (400 invalidValue naming it), rather than answer in an order the client did not ask for.
 * A singular complex attribute must name a sub-attribute (`name.givenName`); a multi-valued
 * one sorts by its primary value. `returned: never` attributes are refused: sorting by
 * `password` would leak its order.
 */
function resolveSortBy(type: ResourceType, sortBy: string): string {
  const resolved = resolveAttributePath(type, sortBy)
  if (!resolved) throw invalidValue(`sortBy names no attribute of ${type}: ${quote(sortBy)}`)
  const { attribute, subAttribute } = resolved
  const target = subAttribute ?? attribute
  if (target.returned === 'never')
    throw invalidValue(`${type}s cannot be sorted by ${quote(sortBy)}`)
  if (!subAttribute && attribute.type === 'complex' && !attribute.multiValued) {
    throw invalidValue(`sortBy must name a sub-attribute of ${attribute.name}, e.g. name.givenName`)
  }
  return resolved.path
}

/** RFC 7644 §3.4.2.3: case-insensitive here, as Entra treats structural words; default ascending. */
function readSortOrder(value: unknown): SortOrder {
  const text = readString(value, 'sortOrder')
  if (text === undefined) return 'ascending'
  const lower = text.toLowerCase()
  if (lower === 'ascending' || lower === 'descending') return lower
  throw invalidValue(`sortOrder must be "ascending" or "descending", not ${quote(text)}`)
}

function checkSearchRequest(source: Record<string, unknown>): void {
  // RFC 7644 §3.4.3: a SearchRequest names its schema; without it the body is another message.
  const schemas = readParam(source, 'schemas', false)
  const ok =
    Array.isArray(schemas) &&
    schemas.some(
      (s) => typeof s === 'string' && s.toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase(),
    )
  if (!ok) throw invalidSyntax(`A search request body must have schemas [${SEARCH_REQUEST_SCHEMA}]`)
}

/**
 * Reads and checks list parameters from a query string or a SearchRequest body; a JSON `null`
 * in a body means unassigned (RFC 7643 §2.5). Unknown parameters are ignored.
 * RFC 7644 §3.4.2.4: `startIndex` below 1 means 1, `count` below 0 means 0, and a `count` above
 * `maxCount` is capped to it (the response's `itemsPerPage` tells the client), not refused.
 */
export function readListParams(
  source: Record<string, unknown>,
  options: ListParamsOptions,
  type: ResourceType,
): ListParams {
  const fromQuery = options.searchRequest !== true
  if (!fromQuery) checkSearchRequest(source)
  const read = (name: string, repeatable = false) => readParam(source, name, fromQuery, repeatable)

  const filter = read('filter') ?? undefined
  if (filter !== undefined && typeof filter !== 'string') {
    throw invalidFilter('filter must be a string')
  }
  const startIndex = readInteger(read('startIndex'), 'startIndex', fromQuery) ?? 1
  const count = readInteger(read('count'), 'count', fromQuery) ?? options.defaultCount
  const sortBy = readString(read('sortBy'), 'sortBy')
  const attributes = parseAttributeList(read('attributes', true), 'attributes')
  const excludedAttributes = parseAttributeList(
    read('excludedAttributes', true),
    'excludedAttributes',
  )

  return {
    ...(filter !== undefined ? { filter } : {}),
    startIndex: Math.max(1, startIndex),
    count: Math.min(options.maxCount, Math.max(0, count)),
    ...(sortBy !== undefined && sortBy.trim() !== ''
      ? { sortBy: resolveSortBy(type, sortBy.trim()) }
      : {}),
    sortOrder: readSortOrder(read('sortOrder')),
    ...(attributes ? { attributes } : {}),
    ...(excludedAttributes ? { excludedAttributes } : {}),
  }
}
