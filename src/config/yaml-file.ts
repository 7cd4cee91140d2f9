import { readFile } from 'node:fs/promises'
import type { ErrorObject, ValidateFunction } from 'ajv'
import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq } from 'yaml'

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
  | {
      ok: false
      problems: ConfigProblem[]
      /** Present when the YAML parsed and only the schema refused it: what could be read. */
      parsed?: { value: unknown; lineOf: (keys: readonly string[]) => number }
    }

/** Where an ajv error points, as YAML keys: `/connections/torii/baseUrl` → ['connections', …]. */
function pathOf(error: ErrorObject): string[] {
  const keys = error.instancePath
    .split('/')
    .slice(1)
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (error.keyword === 'additionalProperties') {
    keys.push(String((error.params as { additionalProperty: string }).additionalProperty))
  }
  // A `propertyNames` failure is about a key: point at that key, not at its parent.
  if (error.propertyName !== undefined) keys.push(error.propertyName)
  return keys
}

function describe(error: ErrorObject): string {
  const at = pathOf(error).join('.') || '(top level)'
  if (error.propertyName !== undefined) {
    const parent = pathOf(error).slice(0, -1).join('.') || '(top level)'
    return `${parent}: the name ${error.propertyName} ${error.message ?? 'is invalid'}`
  }
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
    // An error at the end of the file (an unclosed bracket) points at the last written line.
    const end = text.trimEnd().length
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        file,
        line: lineAt(Math.min(e.pos[0], end)),
        message: e.message.split('\n')[0] ?? 'invalid YAML',
      })),
    }
  }
  const value: unknown = doc.toJS()
  const keyLine = (parent: unknown, key: string): number | undefined => {
    let node: unknown
    if (isMap(parent)) {
      node = parent.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === key)?.key
    } else if (isSeq(parent) && /^[0-9]+$/.test(key)) {
      node = parent.items[Number(key)]
    }
    return isNode(node) && node.range ? lineAt(node.range[0]) : undefined
  }
  // The line of the deepest key on `keys` that exists: the key itself, or its parent's key
  // (a map value starts on the line after its key, which is not where the reader looks).
  const lineOf = (keys: readonly string[]): number => {
    for (let n = keys.length; n > 0; n--) {
      const line = keyLine(doc.getIn(keys.slice(0, n - 1), true), keys[n - 1] ?? '')
      if (line !== undefined) return line
    }
    const root = doc.contents
    return root?.range ? lineAt(root.range[0]) : 1
  }
  if (validate(value)) return { ok: true, value, lineOf }
  // ajv reports a bad property name twice: as the name's own failure and as `propertyNames`.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'propertyNames')
  const problems = errors.map((error) => ({
    file,
    line: lineOf(pathOf(error)),
    message: describe(error),
  }))
  return { ok: false, problems, parsed: { value, lineOf } }
}
