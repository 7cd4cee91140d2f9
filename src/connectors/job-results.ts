/** What a job did. `skipped` means it no longer applied (e.g. its resource is gone). */
export interface JobResult {
  outcome: 'done' | 'skipped'
  note?: string
}

/** A job that can never succeed as it stands: it goes to `dead` with this reason. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError'
}
