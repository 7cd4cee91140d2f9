import { resolveAttributePath } from '../scim/attribute-paths.ts'
import type { JsonValue, ScimResource } from '../scim/types.ts'
import { isJsonObject } from '../scim/types.ts'

/**
 * Request templates of connector profiles: strings with `{…}` placeholders such as
 * `{userName|lowercase}`, `{name.givenName} {name.familyName}`, `{active|map:status}`,
 * `{id}`, `{key}` or `{settings.organizationId}`. Parsed once when a profile is compiled;
 * rendering is pure. No code is ever run from YAML.
 */
export type Source =
  | { kind: 'attribute'; keys: string[]; path: string }
  | { kind: 'setting'; name: string }
  | { kind: 'id' }
  | { kind: 'key' }

export type Transform =
  { kind: 'lowercase' } | { kind: 'uppercase' } | { kind: 'trim' } | { kind: 'map'; name: string }

export type Segment = { text: string } | { source: Source; transforms: Transform[] }

export interface Template {
  raw: string
  segments: Segment[]
}

/** Value maps of a profile, e.g. `status: { "true": active, "false": suspended }`. */
export type ValueMaps = Readonly<Record<string, Readonly<Record<string, string>>>>

export interface RenderContext {
  resource: ScimResource
  id?: string
  key?: string
  settings: Readonly<Record<string, unknown>>
  maps: ValueMaps
}

const PLACEHOLDER = /\{([^{}]+)\}/g

function parseSource(text: string, type: 'User' | 'Group'): Source | string {
  if (text === 'id') return { kind: 'id' }
  if (text === 'key') return { kind: 'key' }
  if (text.startsWith('settings.')) return { kind: 'setting', name: text.slice('settings.'.length) }
  const resolved = resolveAttributePath(type, text)
  if (!resolved) return `unknown attribute ${text}`
  return { kind: 'attribute', keys: resolved.keys, path: resolved.path }
}

function parseTransform(text: string, maps: ValueMaps): Transform | string {
  if (text === 'lowercase' || text === 'uppercase' || text === 'trim') return { kind: text }
  if (text.startsWith('map:')) {
    const name = text.slice(4)
    return Object.hasOwn(maps, name) ? { kind: 'map', name } : `unknown value map ${name}`
  }
  return `unknown transform ${text}`
}

/** Parses a template; returns the problems (for `file:line` reports) instead of throwing. */
export function parseTemplate(
  raw: string,
  type: 'User' | 'Group',
  maps: ValueMaps,
): { template: Template; problems: string[] } {
  const segments: Segment[] = []
  const problems: string[] = []
  let last = 0
  for (const match of raw.matchAll(PLACEHOLDER)) {
    if (match.index > last) segments.push({ text: raw.slice(last, match.index) })
    const [sourceText = '', ...transformTexts] = (match[1] ?? '').split('|').map((s) => s.trim())
    const source = parseSource(sourceText, type)
    const transforms: Transform[] = []
    for (const t of transformTexts) {
      const parsed = parseTransform(t, maps)
      if (typeof parsed === 'string') problems.push(parsed)
      else transforms.push(parsed)
    }
    if (typeof source === 'string') problems.push(source)
    else segments.push({ source, transforms })
    last = match.index + match[0].length
  }
  if (last < raw.length) segments.push({ text: raw.slice(last) })
  for (const segment of segments) {
    if ('text' in segment && /[{}]/.test(segment.text)) problems.push(`unbalanced brace in ${raw}`)
  }
  return { template: { raw, segments }, problems }
}

/** The connection settings a template reads (each must be declared by the profile). */
export function settingsOf(template: Template): string[] {
  return template.segments.flatMap((s) =>
    'source' in s && s.source.kind === 'setting' ? [s.source.name] : [],
  )
}

/** The SCIM attributes a template reads (to know which changes a request sends). */
export function attributesOf(template: Template): string[] {
  return template.segments.flatMap((s) =>
    'source' in s && s.source.kind === 'attribute' ? [s.source.path] : [],
  )
}

function readPath(resource: ScimResource, keys: readonly string[]): JsonValue | undefined {
  let current: JsonValue | undefined = resource
  for (const key of keys) {
    if (!isJsonObject(current)) return undefined
    current = current[key]
  }
  return current
}

function readSource(source: Source, context: RenderContext): unknown {
  switch (source.kind) {
    case 'id':
      return context.id
    case 'key':
      return context.key
    case 'setting':
      return context.settings[source.name]
    case 'attribute':
      return readPath(context.resource, source.keys)
  }
}

/** Text of a scalar; objects as JSON (a template should not name one, but must not print [object Object]). */
function toText(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

function applyTransform(value: unknown, transform: Transform, maps: ValueMaps): unknown {
  if (value === undefined || value === null) return value
  switch (transform.kind) {
    case 'lowercase':
      return typeof value === 'string' ? value.toLowerCase() : value
    case 'uppercase':
      return typeof value === 'string' ? value.toUpperCase() : value
    case 'trim':
      return typeof value === 'string' ? value.trim() : value
    case 'map': {
      const map = maps[transform.name]
      const key = toText(value)
      return map && Object.hasOwn(map, key) ? map[key] : undefined
    }
  }
}

/**
 * Renders a template. A template that is one placeholder keeps the value's type (a boolean
 * stays a boolean); text around placeholders makes a string. Undefined when nothing is there.
 */
export function renderValue(template: Template, context: RenderContext): unknown {
  const values = template.segments.map((segment) => {
    if ('text' in segment) return segment.text
    let value = readSource(segment.source, context)
    for (const t of segment.transforms) value = applyTransform(value, t, context.maps)
    return value
  })
  if (template.segments.length === 1 && !('text' in (template.segments[0] as Segment)))
    return values[0]
  const placeholders = template.segments.filter((s) => 'source' in s).length
  const present = values.filter(
    (v, i) => 'source' in (template.segments[i] as Segment) && v !== undefined && v !== null,
  )
  if (placeholders > 0 && present.length === 0) return undefined
  const text = values.map(toText).join('').replace(/\s+/g, ' ').trim()
  return text === '' ? undefined : text
}

/** Renders a URL path: every placeholder value is percent-encoded. */
export function renderPath(template: Template, context: RenderContext): string {
  return template.segments
    .map((segment) => {
      if ('text' in segment) return segment.text
      let value = readSource(segment.source, context)
      for (const t of segment.transforms) value = applyTransform(value, t, context.maps)
      const text = toText(value)
      // An empty id or key would turn `/users/{id}` into the collection: never send that.
      if (text === '')
        throw new Error(`template ${template.raw} has no value for a path placeholder`)
      return encodeURIComponent(text)
    })
    .join('')
}

/** Renders a body template (an object of templates); fields with no value are left out. */
export function renderBody(
  fields: Readonly<Record<string, Template>>,
  context: RenderContext,
): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  for (const [field, template] of Object.entries(fields)) {
    const value = renderValue(template, context)
    if (value !== undefined) body[field] = value
  }
  return body
}
