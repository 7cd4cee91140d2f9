import type { ValueLeniency } from './dialect-values.ts'

export type Dialect = 'entra' | 'okta' | 'generic'
export type DialectSetting = Dialect | 'auto'

/**
 * The normalisation steps that bend RFC 7644, each with the dialects whose documented requests
 * need it (sources in IDP-BEHAVIOR.md). `auto` enables every step; a pinned dialect only its
 * own, so a pinned `generic` is the strict reading. What the RFCs themselves allow (names in any
 * case, `null` as unassigned, readOnly values ignored, path-less values) is not a step: it holds
 * for every dialect.
 */
const STEP_DIALECTS = {
  /** Entra emits `"Add"`, `"Replace"`, `"Remove"` (Known issues doc, "PATCH op casing"). */
  lowerCaseOp: ['entra'],
  /** Entra without aadOptscim062020 sends `"False"`, also `"active":"True"` on POST. */
  booleanStrings: ['entra'],
  /** Entra serialises complex values as JSON text (Captain-P-Goldfish/SCIM-SDK#516). */
  jsonStrings: ['entra'],
  /** Entra sets manager as `[{"$ref":…,"value":"<id>"}]`, an array for a single value. */
  singleValuedArrays: ['entra'],
  /** A manager id mapped as a bare string by an IdP attribute expression; in neither doc. */
  bareReferences: ['entra', 'okta'],
  /** Entra lists `…/ADSCIM/2.0/Group` and, in one sample, `…enterprise:2.0User` in `schemas`. */
  unknownSchemaUrns: ['entra'],
  /** aadOptscim062020's merged replace: `name.givenName` and URN-qualified keys in a value. */
  qualifiedValueKeys: ['entra'],
  /** Okta's group rename carries the group's `id` in the path-less value. */
  readOnlyValueKeys: ['okta'],
  /** Entra without the flag removes a member with it in `value`, not in the path. */
  removeByValue: ['entra'],
} as const satisfies Record<string, readonly Dialect[]>

export type Step = keyof typeof STEP_DIALECTS
export type Steps = Readonly<Record<Step, boolean>>

export function selectSteps(setting: DialectSetting): Steps {
  const entries = Object.entries(STEP_DIALECTS).map(([step, dialects]) => [
    step,
    setting === 'auto' || (dialects as readonly Dialect[]).includes(setting),
  ])
  return Object.fromEntries(entries) as Steps
}

export function leniencyOf(steps: Steps): ValueLeniency {
  return {
    booleanStrings: steps.booleanStrings,
    jsonStrings: steps.jsonStrings,
    singleValuedArrays: steps.singleValuedArrays,
    bareReferences: steps.bareReferences,
  }
}
