// `npm test` runs everything (unit, integration over real HTTP, the dashboard in headless
// Chromium); `npm run test:pg` (DB_CLIENT=pg) reruns the database-backed integration suites
// on PostgreSQL.
const pg = process.env.DB_CLIENT === 'pg'

module.exports = {
  'node-option': ['import=tsx'],
  spec: pg
    ? ['test/integration/**/*.test.ts']
    : ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'],
  'forbid-only': true,
  'fail-zero': true,
  timeout: 20000,
  exit: true,
}
