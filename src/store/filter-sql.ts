import type { FilterNode } from '../scim/filter.ts'
import type { ResourceType } from '../scim/types.ts'
import type { LinkCondition } from './links.ts'

/**
 * A SCIM filter compiled for the links table. `condition` narrows the rows in SQL (values
 * always go in as bound parameters); `exact` says SQL alone decides the answer, so the
 * schema-aware predicate, paging and counting can all stay in the database.
 */
export interface CompiledFilter {
  condition: LinkCondition | undefined
  exact: boolean
  /** Set when the whole filter is one equality on an indexed key: the lookup IdPs make most. */
  lookup?: { column: string; value: string }
}

/** How a column compares: case-insensitive columns hold a lower-cased copy of the value. */
interface IndexedColumn {
  column: string
  lower: boolean
}

function indexedColumn(type: ResourceType, attrPath: string): IndexedColumn | undefined {
  switch (attrPath) {
    case 'id':
      return { column: 'id', lower: false }
    case 'externalId':
      return { column: 'external_id', lower: false }
    case 'displayName':
      return { column: 'display_name_lower', lower: true }
    case 'userName':
      return type === 'User' ? { column: 'user_name_lower', lower: true } : undefined
    default:
      return undefined
  }
}

const exactOnly = (condition: LinkCondition): CompiledFilter => ({ condition, exact: true })
const nothing: CompiledFilter = { condition: undefined, exact: false }

export function compileFilter(type: ResourceType, filter: FilterNode): CompiledFilter {
  switch (filter.op) {
    case 'eq': {
      const { attrPath, compValue } = filter
      if (type === 'User' && attrPath === 'active' && typeof compValue === 'boolean') {
        return exactOnly((q) => void q.where('active', compValue))
      }
      const col = indexedColumn(type, attrPath)
      if (!col || typeof compValue !== 'string') return nothing
      const value = col.lower ? compValue.toLowerCase() : compValue
      return {
        ...exactOnly((q) => void q.where(col.column, value)),
        lookup: { column: col.column, value },
      }
    }
    case 'and': {
      const parts = filter.filters.map((f) => compileFilter(type, f))
      const usable = parts.filter((p) => p.condition !== undefined)
      if (usable.length === 0) return nothing
      return {
        condition: (q) => {
          for (const p of usable) q.andWhere(p.condition as LinkCondition)
        },
        exact: parts.every((p) => p.exact),
      }
    }
    case 'or': {
      const parts = filter.filters.map((f) => compileFilter(type, f))
      // One branch SQL cannot narrow means any row may match: no narrowing at all.
      if (parts.some((p) => p.condition === undefined)) return nothing
      return {
        condition: (q) => {
          for (const p of parts) q.orWhere(p.condition as LinkCondition)
        },
        exact: parts.every((p) => p.exact),
      }
    }
    default:
      return nothing
  }
}
