// Issue 14 on every adapter, over real sockets: guards built from a verifier (a resource server
// with no engine and no store: no routes, no login), and the RFC 8414 metadata route from which
// oauth4webapi discovers the auth server and validates our access tokens.
import { createEngine } from '@auth/core'
import { createAuthHttp } from '@auth/core/http'
import { freePort } from '@auth/core/testing'
import { createVerifier } from '@auth/core/verifier'
import { createMemoryStore } from '@auth/storage-memory'
import * as oauth from 'oauth4webapi'
import { afterEach, describe, expect, it } from 'vitest'
import { expressAdapter } from './apps/express.js'
import { fastifyAdapter } from './apps/fastify.js'
import { honoAdapter } from './apps/hono.js'
import { send } from './client.js'
import type { AdapterUnderTest, RunningApp } from './harness.js'
import { SECRET } from './suite.js'

const ADAPTERS: readonly AdapterUnderTest[] = [expressAdapter, fastifyAdapter, honoAdapter]

describe.each(ADAPTERS)('$name', (adapter) => {
  const running: RunningApp[] = []
  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.close()))
  })

  it('a resource server: requireAuth() over a verifier (its JWKS fetched from the auth server), no routes, no login', async () => {
    const authPort = await freePort()
    const issuer = `http://127.0.0.1:${authPort}`
    const engine = createEngine({ store: createMemoryStore(), issuer, audience: 'api', secret: SECRET })
    const authServer = await adapter.start(createAuthHttp({ engine }), authPort)
    running.push(authServer)
    const verifier = createVerifier({ issuer, audience: 'api', jwksUri: `${issuer}/auth/jwks` })
    const users: string[] = []
    const resource = await adapter.start(
      createAuthHttp({
        verifier,
        loadUser: (claims) => {
          users.push(claims.sub)
          return { id: claims.sub }
        },
      }),
    )
    running.push(resource)
    await verifier.check()

    const { accessToken } = await engine.issue('alice', { claims: { name: 'Alice' } })
    const me = await send(resource.url, '/me', { bearer: accessToken })
    expect(me.status, me.text).toBe(200)
    expect(me.json).toMatchObject({ sub: 'alice', claims: { name: 'Alice', iss: issuer }, user: { id: 'alice' } })
    expect(users).toEqual(['alice'])
    expect((await send(resource.url, '/maybe')).json).toEqual({ auth: 'null', sub: null, user: null })
    const tampered = `${accessToken.slice(0, -10)}${accessToken.at(-10) === 'A' ? 'B' : 'A'}${accessToken.slice(-9)}`
    expect((await send(resource.url, '/me', { bearer: tampered })).status).toBe(401)
    // No routes are served: a refresh at the resource server is the framework's 404, and there is no login.
    const refresh = await send(resource.url, '/auth/refresh', { json: { refresh_token: 'x' } })
    expect(refresh.status).toBe(404)
    expect((await send(resource.url, '/login', { json: { username: 'bob' } })).status).toBe(500)
    // The auth server goes away: cached keys keep verifying.
    await authServer.close()
    running.splice(running.indexOf(authServer), 1)
    expect((await send(resource.url, '/me', { bearer: accessToken })).status).toBe(200)
  })

  it('a resource server takes DPoP-bound tokens with their proofs (oauth4webapi), and refuses them without', async () => {
    const authPort = await freePort()
    const issuer = `http://127.0.0.1:${authPort}`
    const engine = createEngine({
      store: createMemoryStore(),
      issuer,
      audience: 'api',
      secret: SECRET,
      dpop: 'allowed',
    })
    running.push(await adapter.start(createAuthHttp({ engine }), authPort))
    const verifier = createVerifier({ issuer, audience: 'api', jwksUri: `${issuer}/auth/jwks` })
    const resource = await adapter.start(createAuthHttp({ verifier }))
    running.push(resource)
    await verifier.check()

    const client: oauth.Client = { client_id: issuer }
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const DPoP = oauth.DPoP(client, keys)
    const { accessToken, tokenType } = await engine.issue('dave', { dpop: { jkt: await DPoP.calculateThumbprint() } })
    expect(tokenType).toBe('DPoP')
    const call = (handle: typeof DPoP) =>
      oauth.protectedResourceRequest(accessToken, 'GET', new URL(`${resource.url}/me`), new Headers(), null, {
        [oauth.allowInsecureRequests]: true,
        DPoP: handle,
      })
    const me = await call(DPoP)
    expect(me.status).toBe(200)
    expect(((await me.json()) as { sub?: string }).sub).toBe('dave')
    // As Bearer, or with another key's proof: 401, the DPoP challenge for the latter.
    expect((await send(resource.url, '/me', { bearer: accessToken })).status).toBe(401)
    const otherKeys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    // oauth4webapi turns a 401 challenge into an error carrying it.
    const stolen = await call(oauth.DPoP(client, otherKeys)).catch((error: unknown) => error)
    expect(stolen).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
    expect((stolen as oauth.WWWAuthenticateChallengeError).cause[0]).toMatchObject({
      scheme: 'dpop',
      parameters: { error: 'invalid_token' },
    })
  })

  it('RFC 8414 metadata at the root: oauth4webapi discovers the auth server from its issuer and validates our tokens', async () => {
    const port = await freePort()
    const issuer = `http://127.0.0.1:${port}`
    const engine = createEngine({ store: createMemoryStore(), issuer, audience: 'api', secret: SECRET })
    running.push(await adapter.start(createAuthHttp({ engine }), port))
    const options = { [oauth.allowInsecureRequests]: true }
    const discovered = await oauth.processDiscoveryResponse(
      new URL(issuer),
      await oauth.discoveryRequest(new URL(issuer), { ...options, algorithm: 'oauth2' }),
    )
    expect(discovered).toMatchObject({
      issuer,
      jwks_uri: `${issuer}/auth/jwks`,
      token_endpoint: `${issuer}/auth/refresh`,
      revocation_endpoint: `${issuer}/auth/revoke`,
      grant_types_supported: ['refresh_token'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['none'],
    })
    const { accessToken, refreshToken } = await engine.issue('carol')
    const request = new Request(`${issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } })
    const claims = await oauth.validateJwtAccessToken(discovered, request, 'api', options)
    expect(claims.sub).toBe('carol')
    // And the standard refresh grant works against the discovered token endpoint.
    const client: oauth.Client = { client_id: issuer }
    const response = await oauth.refreshTokenGrantRequest(discovered, client, oauth.None(), refreshToken, options)
    const tokens = await oauth.processRefreshTokenResponse(discovered, client, response)
    expect(tokens.refresh_token).toMatch(/\S/)
  })
})
