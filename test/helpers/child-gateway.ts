import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'

export interface ChildGateway {
  process: ChildProcess
  scimUrl: string
  stdout: () => string
  stderr: () => string
  stop(): Promise<void>
}

const ROOT = join(import.meta.dirname, '..', '..')
export const CLI = join(ROOT, 'bin', 'scim-gateway.js')

/** Runs `scim-gateway serve` as its own OS process and waits (bounded) for its URL. */
export async function startChildGateway(env: Record<string, string>): Promise<ChildGateway> {
  const child = spawn(process.execPath, [CLI, 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const deadline = Date.now() + 30_000
  let url: string | undefined
  while (!url && Date.now() < deadline && child.exitCode === null) {
    url = /SCIM gateway listening: (\S+)/.exec(out)?.[1]
    if (!url) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  if (!url) {
    child.kill('SIGKILL')
    throw new Error(`gateway did not start: ${err || out}`)
  }
  return {
    process: child,
    scimUrl: url,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await once(child, 'exit')
      clearTimeout(timer)
    },
  }
}

/** Runs one CLI command to completion; returns its exit code and output. */
export async function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const [code] = (await once(child, 'exit')) as [number | null]
  clearTimeout(timer)
  return { code, stdout, stderr }
}
