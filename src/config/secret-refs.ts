import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'

/** A secret is a reference, never a literal in a file: `${env:NAME}` or `${file:path}`. */
const REFERENCE = /^\$\{(env|file):([^}]+)\}$/

export type SecretResult = { ok: true; value: string } | { ok: false; message: string }

export function isSecretReference(text: string): boolean {
  return REFERENCE.test(text)
}

/**
 * Resolves a reference. File paths are relative to the file that names them. Messages name
 * the reference, never the secret.
 */
export function resolveSecret(
  reference: string,
  env: Readonly<Record<string, string | undefined>>,
  baseDir: string,
): SecretResult {
  const match = REFERENCE.exec(reference)
  if (!match) {
    return {
      ok: false,
      message: 'must be a ${env:NAME} or ${file:path} reference, not a literal value',
    }
  }
  const [, kind, target = ''] = match
  if (kind === 'env') {
    const value = env[target]
    if (value === undefined || value === '') {
      return {
        ok: false,
        message: `references the environment variable ${target}, which is not set`,
      }
    }
    return { ok: true, value }
  }
  const path = isAbsolute(target) ? target : resolve(baseDir, target)
  try {
    const value = readFileSync(path, 'utf8').trim()
    if (value === '') return { ok: false, message: `references ${path}, which is empty` }
    return { ok: true, value }
  } catch {
    return { ok: false, message: `references ${path}, which cannot be read` }
  }
}
