import { execFile, spawn, type ChildProcess } from 'node:child_process'

/** A child process that printed the URL it listens on. */
export interface StartedProcess {
  name: string
  url: string
  pid: number
  stop(): Promise<void>
}

export interface StartProcessOptions {
  name: string
  args: string[]
  env: NodeJS.ProcessEnv
  cwd: string
  /** Matched against each stdout line; the first capture group is the URL. */
  urlPattern: RegExp
  timeoutMs: number
}

export interface ProcessGroup {
  /** Spawns `node <args>` and resolves once it has printed its URL. */
  start(options: StartProcessOptions): Promise<StartedProcess>
  stopAll(): Promise<void>
}

const TAIL_CHARS = 4_000
const STOP_GRACE_MS = 5_000

function keepTail(tail: string, chunk: string): string {
  const joined = tail + chunk
  return joined.length > TAIL_CHARS ? joined.slice(-TAIL_CHARS) : joined
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

/** SIGTERM first, so the gateway closes its database and `--cpu-prof` gets written. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return
  child.kill('SIGTERM')
  if (await waitForExit(child, STOP_GRACE_MS)) return
  child.kill('SIGKILL')
  await waitForExit(child, STOP_GRACE_MS)
}

/**
 * Tracks every child it starts and kills them when this process exits, whatever the cause:
 * a benchmark that dies half-way must not leave a gateway holding a port.
 */
export function createProcessGroup(): ProcessGroup {
  const live = new Set<ChildProcess>()
  // Children we asked to stop, so their exit is not reported as a crash.
  const stopping = new WeakSet<ChildProcess>()
  const stop = (child: ChildProcess) => {
    stopping.add(child)
    return stopChild(child)
  }
  process.once('exit', () => {
    for (const child of live) if (!hasExited(child)) child.kill('SIGKILL')
  })
  // Without handlers, a signal ends the process without running 'exit' listeners.
  process.once('SIGINT', () => process.exit(130))
  process.once('SIGTERM', () => process.exit(143))

  function start(options: StartProcessOptions): Promise<StartedProcess> {
    const child = spawn(process.execPath, options.args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    live.add(child)
    child.once('exit', () => live.delete(child))
    let stdoutTail = ''
    let stderrTail = ''
    let pending = ''
    let url: string | undefined
    const describe = () =>
      `${options.name}: stdout …${stdoutTail.slice(-1_000)}\nstderr …${stderrTail.slice(-2_000)}`
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = keepTail(stderrTail, chunk)
    })

    return new Promise<StartedProcess>((resolve, reject) => {
      const fail = (reason: string) => {
        clearTimeout(timer)
        void stop(child)
        reject(new Error(`${reason}\n${describe()}`))
      }
      const timer = setTimeout(
        () => fail(`${options.name} printed no URL within ${options.timeoutMs} ms`),
        options.timeoutMs,
      )
      child.once('error', (err) => fail(`${options.name} could not start: ${err.message}`))
      child.once('exit', (code, signal) => {
        if (url === undefined) fail(`${options.name} exited (${code ?? signal}) before listening`)
        else if (!stopping.has(child))
          process.stderr.write(`warning: ${options.name} exited (${code ?? signal})\n`)
      })
      // Keep reading stdout after the URL: a full pipe would block the child's logging.
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdoutTail = keepTail(stdoutTail, chunk)
        if (url !== undefined) return
        pending += chunk
        const lines = pending.split('\n')
        pending = lines.pop() ?? ''
        for (const line of lines) {
          const match = options.urlPattern.exec(line)
          if (!match?.[1]) continue
          url = match[1]
          clearTimeout(timer)
          resolve({ name: options.name, url, pid: child.pid ?? -1, stop: () => stop(child) })
          return
        }
      })
    })
  }

  async function stopAll() {
    await Promise.all([...live].map(stop))
  }

  return { start, stopAll }
}

export interface RunCommandOptions {
  args: string[]
  env: NodeJS.ProcessEnv
  cwd: string
  timeoutMs: number
}

/** Runs `node <args>` to completion and returns its stdout. */
export function runNode(options: RunCommandOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      options.args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`node ${options.args.join(' ')} failed: ${err.message}\n${stderr}`))
        else resolve(stdout)
      },
    )
  })
}
