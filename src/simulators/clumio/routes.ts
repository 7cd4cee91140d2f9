import type { Request, Router } from 'express'
import { isRecord, readIntegerQuery, readQuery } from '../common/body.ts'
import { SimulatorHttpError } from '../common/errors.ts'
import { parseVersionedJson, requireVersionedAccept, sendClumio } from './accept.ts'
import { readRuleInput, ruleNotFound, type ClumioAutoProvisioning } from './auto-provisioning.ts'
import { badRequest, notFound } from './errors.ts'
import {
  organizationalUnitNotFound,
  readOrganizationalUnitChanges,
  readOrganizationalUnitInput,
  type ClumioOrganizationalUnit,
  type ClumioOrganizationalUnits,
} from './organizational-units.ts'
import { checkAccessReferences, CLUMIO_ROLES, findRole, type ClumioRole } from './roles.ts'
import {
  countUsersInOrganizationalUnit,
  countUsersWithRole,
  readUserChanges,
  readUserInput,
  userNotFound,
  type ClumioUser,
  type ClumioUsers,
} from './users.ts'

export interface ClumioState {
  users: ClumioUsers
  organizationalUnits: ClumioOrganizationalUnits
  autoProvisioning: ClumioAutoProvisioning
}

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 100

/** `{_embedded: {items}, current_count, total_count}`: the unpaged lists (roles, OUs, rules). */
function listOf(items: readonly unknown[]) {
  return { _embedded: { items }, current_count: items.length, total_count: items.length }
}

function readParam(req: Request, name: string): string {
  const value = req.params[name]
  return typeof value === 'string' ? value : ''
}

/** C2: user ids are integers in the path; anything else names no user. */
function readUserId(req: Request): number {
  const text = readParam(req, 'id')
  if (!/^[0-9]{1,15}$/.test(text)) throw userNotFound(text)
  return Number(text)
}

function readPaging(req: Request): { limit: number; start: number } {
  const limit = readIntegerQuery(req.query.limit) ?? DEFAULT_LIMIT
  const start = readIntegerQuery(req.query.start) ?? 1
  if (Number.isNaN(limit) || limit < 1 || limit > MAX_LIMIT)
    throw badRequest('invalid_paging', `limit must be an integer from 1 to ${MAX_LIMIT}`)
  if (Number.isNaN(start) || start < 1)
    throw badRequest('invalid_paging', 'start is a page number, from 1')
  return { limit, start }
}

type UserTest = (user: ClumioUser, value: string) => boolean

/** C2: the only filterable fields and their one operator each; there is no email filter. */
const USER_FILTERS: Readonly<Record<string, { operator: string; test: UserTest }>> = {
  name: {
    operator: '$contains',
    test: (user, value) => user.full_name.toLowerCase().includes(value.toLowerCase()),
  },
  role_id: {
    operator: '$eq',
    test: (user, value) => user.access_control_configuration.some((e) => e.role_id === value),
  },
  organizational_unit_id: {
    operator: '$eq',
    test: (user, value) =>
      user.access_control_configuration.some((e) => e.organizational_unit_ids.includes(value)),
  },
}

/** `filter={"name":{"$contains":"x"}}`, several fields combined with and. */
export function parseUserFilter(text: string | undefined): (user: ClumioUser) => boolean {
  if (text === undefined || text === '') return () => true
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw badRequest('invalid_filter', 'filter is not valid JSON')
  }
  if (!isRecord(parsed)) throw badRequest('invalid_filter', 'filter must be a JSON object')
  const tests = Object.entries(parsed).map(([field, condition]) => {
    const filter = Object.hasOwn(USER_FILTERS, field) ? USER_FILTERS[field] : undefined
    if (!filter) throw badRequest('invalid_filter', `The filter field ${field} is not supported`)
    const value = isRecord(condition) ? condition[filter.operator] : undefined
    if (!isRecord(condition) || Object.keys(condition).length !== 1 || typeof value !== 'string')
      throw badRequest(
        'invalid_filter',
        `The filter field ${field} supports only {"${filter.operator}": "<string>"}`,
      )
    return (user: ClumioUser) => filter.test(user, value)
  })
  return (user) => tests.every((test) => test(user))
}

function pageLinks(limit: number, start: number, pages: number, filter: string | undefined) {
  const href = (page: number) =>
    `/users?limit=${limit}&start=${page}` + (filter ? `&filter=${encodeURIComponent(filter)}` : '')
  const link = (page: number) => ({ href: href(page), templated: false, type: 'get' })
  return {
    _self: link(start),
    _first: link(1),
    _last: link(Math.max(1, pages)),
    ...(start < pages ? { _next: link(start + 1) } : {}),
    ...(start > 1 ? { _prev: link(Math.min(start - 1, Math.max(1, pages))) } : {}),
  }
}

/** C5: with auto user provisioning on, roles and OUs come from its rules only. */
function refuseManualAccess(state: ClumioState, requested: boolean): void {
  if (requested && state.autoProvisioning.isEnabled())
    throw new SimulatorHttpError(
      403,
      'auto_provisioning_enabled',
      'Auto user provisioning is enabled: roles and organizational units are assigned by its rules',
    )
}

function mountUserRoutes(router: Router, state: ClumioState): void {
  const { users, organizationalUnits } = state
  const isUnit = (id: string) => organizationalUnits.find(id) !== undefined

  router.get('/users', (req, res) => {
    const { limit, start } = readPaging(req)
    const filterText = readQuery(req.query.filter)
    const matching = users.list().filter(parseUserFilter(filterText))
    const pages = Math.ceil(matching.length / limit)
    const items = matching.slice((start - 1) * limit, start * limit)
    sendClumio(res, {
      _embedded: { items },
      _links: pageLinks(limit, start, pages, filterText),
      current_count: items.length,
      filter_applied: filterText ?? '',
      limit,
      start,
      total_count: matching.length,
      total_pages_count: pages,
    })
  })

  router.post('/users', (req, res) => {
    const input = readUserInput(req.body)
    checkAccessReferences(input.access_control_configuration, isUnit)
    refuseManualAccess(state, input.access_control_configuration.length > 0)
    // C2: the product answers the created user with 200, not 201.
    sendClumio(res, users.create(input))
  })

  router.get('/users/:id', (req, res) => {
    const id = readUserId(req)
    const user = users.find(id)
    if (!user) throw userNotFound(id)
    sendClumio(res, user)
  })

  router.patch('/users/:id', (req, res) => {
    const id = readUserId(req)
    if (!users.find(id)) throw userNotFound(id)
    const changes = readUserChanges(req.body)
    checkAccessReferences([...changes.add, ...changes.remove], isUnit)
    refuseManualAccess(state, changes.add.length + changes.remove.length > 0)
    sendClumio(res, users.update(id, changes))
  })

  router.delete('/users/:id', (req, res) => {
    users.remove(readUserId(req))
    sendClumio(res, {})
  })
}

function mountRoleRoutes(router: Router, state: ClumioState): void {
  const withCount = (role: ClumioRole) => ({
    ...role,
    user_count: countUsersWithRole(state.users.list(), role.id),
  })
  router.get('/roles', (_req, res) => {
    sendClumio(res, listOf(CLUMIO_ROLES.map(withCount)))
  })
  router.get('/roles/:id', (req, res) => {
    const role = findRole(readParam(req, 'id'))
    if (!role) throw notFound(`No role with id ${readParam(req, 'id')}`)
    sendClumio(res, withCount(role))
  })
}

function mountOrganizationalUnitRoutes(router: Router, state: ClumioState): void {
  const { organizationalUnits } = state
  const withCount = (unit: ClumioOrganizationalUnit) => ({
    ...unit,
    user_count: countUsersInOrganizationalUnit(state.users.list(), unit.id),
  })
  const inUseBy = (id: string) => {
    const user = state.users
      .list()
      .find((candidate) => countUsersInOrganizationalUnit([candidate], id) > 0)
    const rule = state.autoProvisioning.ruleUsing(id)
    return user ? `user ${user.email}` : rule && `rule ${rule}`
  }

  router.get('/organizational-units', (_req, res) => {
    sendClumio(res, listOf(organizationalUnits.list().map(withCount)))
  })
  router.post('/organizational-units', (req, res) => {
    sendClumio(res, withCount(organizationalUnits.create(readOrganizationalUnitInput(req.body))))
  })
  router.get('/organizational-units/:id', (req, res) => {
    const unit = organizationalUnits.find(readParam(req, 'id'))
    if (!unit) throw organizationalUnitNotFound(readParam(req, 'id'))
    sendClumio(res, withCount(unit))
  })
  router.patch('/organizational-units/:id', (req, res) => {
    const id = readParam(req, 'id')
    if (!organizationalUnits.find(id)) throw organizationalUnitNotFound(id)
    const changes = readOrganizationalUnitChanges(req.body)
    sendClumio(res, withCount(organizationalUnits.update(id, changes)))
  })
  router.delete('/organizational-units/:id', (req, res) => {
    organizationalUnits.remove(readParam(req, 'id'), inUseBy)
    sendClumio(res, {})
  })
}

function mountAutoProvisioningRoutes(router: Router, state: ClumioState): void {
  const { autoProvisioning } = state
  const isUnit = (id: string) => state.organizationalUnits.find(id) !== undefined
  const readRule = (req: Request) => {
    const input = readRuleInput(req.body)
    checkAccessReferences([input.provision], isUnit)
    return input
  }
  const setting = () => ({ is_enabled: autoProvisioning.isEnabled() })

  router.get('/settings/auto-user-provisioning', (_req, res) => {
    sendClumio(res, setting())
  })
  router.put('/settings/auto-user-provisioning', (req, res) => {
    const body: unknown = req.body
    if (!isRecord(body) || typeof body.is_enabled !== 'boolean')
      throw badRequest('invalid_request', 'Expected {"is_enabled": true|false}')
    autoProvisioning.setEnabled(body.is_enabled)
    sendClumio(res, setting())
  })

  const rules = '/settings/auto-user-provisioning/rules'
  router.get(rules, (_req, res) => {
    sendClumio(res, listOf(autoProvisioning.listRules()))
  })
  router.post(rules, (req, res) => {
    sendClumio(res, autoProvisioning.createRule(readRule(req)))
  })
  router.get(`${rules}/:id`, (req, res) => {
    const id = readParam(req, 'id')
    const rule = autoProvisioning.findRule(id)
    if (!rule) throw ruleNotFound(id)
    sendClumio(res, rule)
  })
  router.put(`${rules}/:id`, (req, res) => {
    const id = readParam(req, 'id')
    if (!autoProvisioning.findRule(id)) throw ruleNotFound(id)
    sendClumio(res, autoProvisioning.replaceRule(id, readRule(req)))
  })
  router.delete(`${rules}/:id`, (req, res) => {
    autoProvisioning.removeRule(readParam(req, 'id'))
    sendClumio(res, {})
  })
}

/** Clumio's v2 REST API (PRODUCTS.md §2) at the server root, each family behind its Accept. */
export function mountClumioRoutes(router: Router, state: ClumioState): void {
  router.use(requireVersionedAccept, parseVersionedJson)
  mountUserRoutes(router, state)
  mountRoleRoutes(router, state)
  mountOrganizationalUnitRoutes(router, state)
  mountAutoProvisioningRoutes(router, state)
}
