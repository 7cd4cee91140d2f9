// The Tresorit-like product for the connector benchmark, in a process of its own, with its
// rate limit lifted and licences to spare: the benchmark measures the gateway, not the
// product's limits. Run as `node --import tsx bench/tresorit-simulator.ts`; prints its base URL.
import { startTresoritSimulator } from '../src/simulators/index.ts'

const simulator = await startTresoritSimulator({
  rateLimit: false,
  licenses: 10_000_000,
  port: 0,
})
process.stdout.write(`Tresorit simulator listening (rate limit lifted): ${simulator.baseUrl}\n`)

process.once('SIGTERM', () => {
  void simulator.close().then(() => process.exit(0))
})
