import {
  scimPatch,
  type ScimPatchOperation,
  type ScimResource as LibraryResource,
} from 'scim-patch'
import {
  FilterArrayTargetNotFound,
  FilterOnEmptyArray,
  InvalidRemoveOpPath,
  InvalidScimPatchOp,
  InvalidScimPatchRequest,
  InvalidScimRemoveValue,
  NoPathInScimPatchOp,
  NoTarget,
} from 'scim-patch/lib/src/errors/scimErrors.js'
import { invalidPath, invalidSyntax, invalidValue, noTarget, type ScimError } from './errors.ts'
import type { JsonObject } from './types.ts'

/**
 * Runs one operation through scim-patch on `doc`, in place (the caller owns a clone). The
 * library types a resource with `meta.created/lastModified` and `schemas`; what is missing is
 * supplied for the call and taken away after it.
 */
export function runScimPatch(doc: JsonObject, operation: ScimPatchOperation): void {
  const added: string[] = []
  if (!('meta' in doc)) {
    doc.meta = { created: '1970-01-01T00:00:00Z', lastModified: '1970-01-01T00:00:00Z' }
    added.push('meta')
  }
  if (!('schemas' in doc)) {
    doc.schemas = []
    added.push('schemas')
  }
  try {
    // The library's ScimMeta wants Date objects it never reads; the document is otherwise JSON.
    scimPatch(doc as unknown as LibraryResource, [operation], {
      mutateDocument: true,
      treatMissingAsAdd: false,
    })
  } catch (error) {
    throw toScimError(error, operation.path ?? '') ?? error
  } finally {
    for (const key of added) delete doc[key]
  }
}

/** scim-patch's error classes → our ScimError factories (RFC 7644 §3.12); others → undefined. */
export function toScimError(error: unknown, path: string): ScimError | undefined {
  if (
    error instanceof NoTarget ||
    error instanceof FilterOnEmptyArray ||
    error instanceof FilterArrayTargetNotFound ||
    error instanceof InvalidRemoveOpPath
  ) {
    return noTarget(`No value matches the path "${path}"`)
  }
  if (error instanceof NoPathInScimPatchOp) {
    return noTarget('"remove" needs a path (RFC 7644 §3.5.2.2)')
  }
  if (error instanceof InvalidScimRemoveValue) {
    return invalidValue(
      `"remove" with a value needs a list of values of a multi-valued attribute, at "${path}"`,
    )
  }
  if (error instanceof InvalidScimPatchRequest) {
    return invalidSyntax(`Invalid PATCH operation at "${path}": ${error.message}`)
  }
  if (error instanceof InvalidScimPatchOp) {
    return /\bpath\b/i.test(error.message)
      ? invalidPath(`Invalid path "${path}": ${error.message}`)
      : invalidValue(`The value does not fit "${path}": ${error.message}`)
  }
  return undefined
}
