import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose'

/** An IdP signing key: the private half signs tokens, the public half is published. */
export interface SigningKey {
  kid: string
  alg: 'RS256'
  privateKey: CryptoKey
  /** The public key as a JWK with `kid`, `alg` and `use`, as an IdP publishes it. */
  publicJwk: JWK
  /** The public key as an SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicPem: string
}

/** A fresh RS256 key pair named `kid` (the private key exportable, to re-import for PS256). */
export async function createSigningKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = await exportJWK(publicKey)
  return {
    kid,
    alg: 'RS256',
    privateKey,
    publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' },
    publicPem: await exportSPKI(publicKey),
  }
}

export interface SignOptions {
  /** Seconds since the epoch for `iat`; default now. */
  issuedAt?: number
  /** Seconds since the epoch for `nbf`; default `issuedAt`. */
  notBefore?: number
  /** Seconds since the epoch for `exp`; default one hour after `issuedAt`. */
  expires?: number
  /** Header `kid`; default the key's own. */
  kid?: string
}

/** Signs `claims` (issuer, audience and the rest go in as given) with `key`, RS256. */
export async function signToken(
  key: SigningKey,
  claims: JWTPayload,
  options: SignOptions = {},
): Promise<string> {
  const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000)
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: options.kid ?? key.kid })
    .setIssuedAt(issuedAt)
    .setNotBefore(options.notBefore ?? issuedAt)
    .setExpirationTime(options.expires ?? issuedAt + 3600)
    .sign(key.privateKey)
}

export interface JwksServer {
  /** `http://127.0.0.1:<port>/keys`: what a tenant's `jwksUri` names. */
  url: string
  /** GET requests for the key set answered so far. */
  readonly fetches: number
  /** The key the IdP signs with now (the newest published). */
  readonly current: SigningKey
  /**
   * The IdP rotates: a new key with a new `kid` is published and the old ones are withdrawn
   * (the key set then holds only the new key). Returns the new key.
   */
  rotate(): Promise<SigningKey>
  close(): Promise<void>
}

/**
 * A real HTTP server on 127.0.0.1 (port 0) that serves a JWKS at `/keys` as an IdP does, and
 * counts how often it is fetched.
 */
export async function startJwksServer(kidPrefix = 'key'): Promise<JwksServer> {
  let generation = 1
  let current = await createSigningKey(`${kidPrefix}-${generation}`)
  let fetches = 0
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/keys') {
      fetches += 1
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
      res.end(JSON.stringify({ keys: [current.publicJwk] }))
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not found')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/keys`,
    get fetches() {
      return fetches
    },
    get current() {
      return current
    },
    async rotate() {
      generation += 1
      current = await createSigningKey(`${kidPrefix}-${generation}`)
      return current
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
