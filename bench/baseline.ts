import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ProcessGroup, StartedProcess } from './processes.ts'

export interface BaselineOptions {
  root: string
  dir: string
  /** The exact body the gateway answered, served back unchanged. */
  answer: string
  timeoutMs: number
}

/** Starts bench/baseline-server.ts in its own process, answering `answer`. */
export async function startBaseline(
  group: ProcessGroup,
  options: BaselineOptions,
): Promise<StartedProcess> {
  const answerFile = join(options.dir, 'baseline-answer.json')
  await writeFile(answerFile, options.answer)
  return group.start({
    name: 'baseline',
    args: ['--import', 'tsx', join(options.root, 'bench', 'baseline-server.ts'), answerFile],
    env: process.env,
    cwd: options.root,
    urlPattern: /Baseline listening: (http:\/\/127\.0\.0\.1:[0-9]+\/scim\/v2)/,
    timeoutMs: options.timeoutMs,
  })
}
