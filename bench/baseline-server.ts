// The baseline: bare express 5 answering a fixed ListResponse, so the gateway's ratio to it
// is the cost of our per-request work (auth, filter, lookup, serialisation) on the same stack.
// Run as `node --import tsx bench/baseline-server.ts <answer.json>`; prints its URL.
import { readFileSync } from 'node:fs'
import express from 'express'

const answerFile = process.argv[2]
if (!answerFile) {
  process.stderr.write('usage: baseline-server.ts <answer.json>\n')
  process.exit(2)
}
const answer: unknown = JSON.parse(readFileSync(answerFile, 'utf8'))

const app = express()
// The gateway disables both; keep the responses byte-for-byte comparable.
app.disable('x-powered-by')
app.set('etag', false)
app.get('/scim/v2/Users', (_req, res) => {
  // Serialised per request, as the gateway does, rather than sending a cached string.
  res.status(200).type('application/scim+json; charset=utf-8').send(JSON.stringify(answer))
})

const server = app.listen(0, '127.0.0.1', (err?: Error) => {
  if (err) throw err
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  process.stdout.write(`Baseline listening: http://127.0.0.1:${port}/scim/v2\n`)
})
// Same as the gateway's listen(): autocannon's connections stay open for the whole run.
server.keepAliveTimeout = 65_000

process.once('SIGTERM', () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
})
