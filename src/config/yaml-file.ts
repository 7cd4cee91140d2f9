import { readFile } from 'node:fs/promises'
import type { ErrorObject, ValidateFunction } from 'ajv'
import { LineCounter, parseDocument, isNode } from 'yaml'

/** One problem in a configuration file, reported as `file:line: message`. */
export interface ConfigProblem {
  file: string
  line: number
  message: string
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}: ${p.message}`
}

/** A valid file's value, and where its keys stand, for checks made after the schema. */
export type YamlResult<T> =
  | { ok: true; value: T; lineOf: (keys: readonly string[]) => number }
  | { ok: false; problems: ConfigProblem[] }

/** Where an ajv error points, as YAML keys: `/connections/torii/baseUrl` → ['connections', …]. */
function pathOf(error: ErrorObject): string[] {
  const keys = error.instancePath
    .split('/')
    .slice(1)
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (error.keyword === 'additionalProperties') {
    keys.push(String((error.params as { additionalProperty: string }).additionalProperty))
  }
  return keys
}

function describe(error: ErrorObject): string {
  const at = pathOf(error).join('.') || '(top level)'
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown field ${at}`
    case 'required':
      return `${at === '(top level)' ? '' : `${at}: `}missing required field ${String((error.params as { missingProperty: string }).missingProperty)}`
    case 'enum':
      return `${at} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`
    default:
      return `${at} ${error.message ?? 'is invalid'}`
  }
}

/**
 * Parses a YAML file and validates it with a compiled JSON Schema; every problem is reported
 * with the line it stands on, all at once.
 */
export async function readYamlFile<T>(
  file: string,
  validate: ValidateFunction<T>,
): Promise<YamlResult<T>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    return {
      ok: false,
      problems: [{ file, line: 1, message: `cannot read: ${(err as Error).message}` }],
    }
  }
  return parseYaml(file, text, validate)
}

export function parseYaml<T>(
  file: string,
  text: string,
  validate: ValidateFunction<T>,
): YamlResult<T> {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const lineAt = (offset: number) => lineCounter.linePos(offset).line
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        file,
        line: lineAt(e.pos[0]),
        message: e.message.split('\n')[0] ?? 'invalid YAML',
      })),
    }
  }
  const value: unknown = doc.toJS()
  // The line of the deepest node on `keys` that exists: the key itself, or its parent.
  const lineOf = (keys: readonly string[]): number => {
    for (let n = keys.length; n >= 0; n--) {
      const node: unknown = doc.getIn(keys.slice(0, n), true)
      if (isNode(node) && node.range) return lineAt(node.range[0])
    }
    return 1
  }
  if (validate(value)) return { ok: true, value, lineOf }
  const problems = (validate.errors ?? []).map((error) => {
    const keys = pathOf(error)
    let line = lineOf(keys)
    if (error.keyword === 'additionalProperties') {
      const parent: unknown = doc.getIn(keys.slice(0, -1), true)
      const pair = isMapWithItems(parent)?.find((p) => String(nodeValue(p.key)) === keys.at(-1))
      if (pair && isNode(pair.key) && pair.key.range) line = lineAt(pair.key.range[0])
    }
    return { file, line, message: describe(error) }
  })
  return { ok: false, problems }
}

interface PairLike {
  key: unknown
}

function isMapWithItems(node: unknown): PairLike[] | undefined {
  if (typeof node !== 'object' || node === null || !('items' in node)) return undefined
  const items = node.items
  return Array.isArray(items) ? (items as PairLike[]) : undefined
}

function nodeValue(node: unknown): unknown {
  return isNode(node) && 'value' in node ? (node as { value: unknown }).value : node
}
