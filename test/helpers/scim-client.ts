import { expect } from 'chai'

export interface ScimResponse {
  status: number
  headers: Headers
  /** Parsed JSON body, or undefined for an empty body. */
  body: unknown
}

export interface ScimClientOptions {
  baseUrl: string
  token: string
  userAgent?: string
  /** Okta sends `application/json`; Entra `application/scim+json`. */
  contentType?: string
  /** Appended to every URL, e.g. `aadOptscim062020` for Entra's flag. */
  query?: string
}

/** A small SCIM client over real HTTP (Node's fetch), as an IdP would talk to the gateway. */
export function scimClient(options: ScimClientOptions) {
  async function send(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const sep = path.includes('?') ? '&' : '?'
    const url = `${options.baseUrl}${path}${options.query ? sep + options.query : ''}`
    const response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        ...(options.userAgent ? { 'user-agent': options.userAgent } : {}),
        ...(body !== undefined
          ? { 'content-type': options.contentType ?? 'application/scim+json' }
          : {}),
        ...headers,
      },
      ...(body !== undefined
        ? { body: typeof body === 'string' ? body : JSON.stringify(body) }
        : {}),
    })
    const text = await response.text()
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    }
  }
  return {
    get: (path: string, headers?: Record<string, string>) => send('GET', path, undefined, headers),
    post: (path: string, body: unknown, headers?: Record<string, string>) =>
      send('POST', path, body, headers),
    put: (path: string, body: unknown, headers?: Record<string, string>) =>
      send('PUT', path, body, headers),
    patch: (path: string, body: unknown, headers?: Record<string, string>) =>
      send('PATCH', path, body, headers),
    delete: (path: string, headers?: Record<string, string>) =>
      send('DELETE', path, undefined, headers),
  }
}

export type ScimClient = ReturnType<typeof scimClient>

/** Reads a JSON object body; fails the test when the body is something else. */
export function objectOf(response: ScimResponse): Record<string, unknown> {
  expect(response.body, `status ${response.status}`).to.be.an('object')
  return response.body as Record<string, unknown>
}

/** Asserts an RFC 7644 §3.12 error with the given status and scimType. */
export function expectScimError(response: ScimResponse, status: number, scimType?: string) {
  const body = objectOf(response)
  expect(response.status, JSON.stringify(body)).to.equal(status)
  expect(response.headers.get('content-type')).to.match(/^application\/scim\+json/)
  expect(body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error'])
  expect(body.status).to.equal(String(status))
  expect(body.detail).to.be.a('string').and.not.empty
  if (scimType) expect(body.scimType).to.equal(scimType)
  else expect(body).to.not.have.property('scimType')
}
