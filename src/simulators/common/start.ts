import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Express } from 'express'

export interface StartedSimulator {
  /** `http://127.0.0.1:<port>` */
  url: string
  port: number
  close(): Promise<void>
}

export interface StartSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number
}

/** Listens on 127.0.0.1 only, keeping client connections alive between requests. */
export function startSimulator(
  app: Express,
  options: StartSimulatorOptions = {},
): Promise<StartedSimulator> {
  const server = createServer({ keepAlive: true }, app)
  server.keepAliveTimeout = 30_000
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()))
            // Idle keep-alive sockets (and delayed faults) would otherwise hold close() open.
            server.closeAllConnections()
          }),
      })
    })
  })
}

/** A running product simulator, as the registry, the CLI and tests see it. */
export interface SimulatorHandle extends StartedSimulator {
  name: string
  /** The product's API root: what a connection's `baseUrl` points at. */
  baseUrl: string
  /** A credential the product accepts (the first configured), for demo wiring. */
  credential: string
}
