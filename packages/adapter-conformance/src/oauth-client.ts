import * as oauth from 'oauth4webapi'
import { expect } from 'vitest'
import { AUDIENCE, ISSUER, PREFIX, type SuiteContext } from './suite.js'

/**
 * A standard OAuth 2.0 client we did not write (oauth4webapi, strict about RFC 6749/7009)
 * runs refresh-token grants and a revocation against the adapter, unchanged: only the
 * endpoints and `allowInsecureRequests` (the suite talks plain HTTP to 127.0.0.1).
 */
export async function runOAuthClient(ctx: SuiteContext): Promise<void> {
  const as: oauth.AuthorizationServer = {
    issuer: ctx.url,
    token_endpoint: `${ctx.url}${PREFIX}/refresh`,
    revocation_endpoint: `${ctx.url}${PREFIX}/revoke`,
  }
  const client: oauth.Client = { client_id: 'conformance-client' }
  const options = { [oauth.allowInsecureRequests]: true }
  const grant = async (refreshToken: string) =>
    oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, options),
    )

  const alice = await ctx.login('alice')
  const first = await grant(alice.refreshToken as string)
  expect(first.token_type).toBe('bearer')
  expect(first.expires_in).toBe(600)
  expect(first.refresh_token).toBeTypeOf('string')
  expect(first.refresh_token).not.toBe(alice.refreshToken)
  expect((await ctx.request('/me', { bearer: first.access_token })).status).toBe(200)

  // RFC 9068: a strict resource-server validator accepts our access tokens against our JWKS (it
  // needs the client_id claim, among others), and refuses one for another audience.
  const resourceServerView: oauth.AuthorizationServer = { issuer: ISSUER, jwks_uri: `${ctx.url}${PREFIX}/jwks` }
  // The suite's clock is a manual one: tell the validator how far it is from the real one.
  const validateOptions = {
    ...options,
    [oauth.clockSkew]: Math.round((ctx.clock.now() - Date.now()) / 1000),
  }
  const presented = (token: string) => new Request(`${ctx.url}/me`, { headers: { authorization: `Bearer ${token}` } })
  const validated = await oauth.validateJwtAccessToken(
    resourceServerView,
    presented(first.access_token),
    AUDIENCE,
    validateOptions,
  )
  expect(validated).toMatchObject({ iss: ISSUER, sub: 'alice', aud: AUDIENCE })
  expect(validated.client_id).toBeTypeOf('string')
  await expect(
    oauth.validateJwtAccessToken(
      resourceServerView,
      presented(first.access_token),
      'https://another.api',
      validateOptions,
    ),
  ).rejects.toThrow()

  const second = await grant(first.refresh_token as string)
  expect((await ctx.request('/me', { bearer: second.access_token })).json?.sub).toBe('alice')
  expect((await ctx.engine.list('alice'))[0]?.generation).toBe(2)

  // Reuse of a rotated-away generation after the grace window: a standard invalid_grant.
  ctx.clock.advance(11_000)
  const reused = await grant(first.refresh_token as string).catch((error: unknown) => error)
  expect(reused).toBeInstanceOf(oauth.ResponseBodyError)
  expect((reused as oauth.ResponseBodyError).error).toBe('invalid_grant')
  expect((reused as oauth.ResponseBodyError).status).toBe(400)

  // RFC 7009 revocation of a live family, then its refresh token is refused.
  const bob = await ctx.login('bob')
  const bobs = await grant(bob.refreshToken as string)
  await oauth.processRevocationResponse(
    await oauth.revocationRequest(as, client, oauth.None(), bobs.refresh_token as string, options),
  )
  const revoked = await grant(bobs.refresh_token as string).catch((error: unknown) => error)
  expect(revoked).toBeInstanceOf(oauth.ResponseBodyError)
  expect((revoked as oauth.ResponseBodyError).error).toBe('invalid_grant')
  // Revoking a token that is not one of ours is still a 200 (RFC 7009 §2.2).
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, oauth.None(), 'not-ours', options))
}

/** Unpadded base64url of bytes or of a string's UTF-8. */
function b64url(input: Uint8Array | string): string {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

/**
 * oauth4webapi's DPoP (RFC 9449), unchanged, against the adapter: the app's own login route gets
 * a proof made here with Web Crypto (it is not an OAuth endpoint), then oauth4webapi refreshes
 * with its DPoP handle and calls a guarded route with `Authorization: DPoP`. A bearer
 * presentation of the bound token, a refresh without a proof and one by another key are refused.
 */
export async function runOAuthDpopClient(ctx: SuiteContext, { nonces = false } = {}): Promise<void> {
  const as: oauth.AuthorizationServer = { issuer: ctx.url, token_endpoint: `${ctx.url}${PREFIX}/refresh` }
  // The suite's clock is a manual one: oauth4webapi dates its proofs by it through clockSkew.
  const client: oauth.Client = {
    client_id: 'conformance-client',
    [oauth.clockSkew]: Math.round((ctx.clock.now() - Date.now()) / 1000),
  }
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
  const DPoP = oauth.DPoP(client, keys)
  const options = { [oauth.allowInsecureRequests]: true, DPoP }

  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey)
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'dpop+jwt', jwk: { kty, crv, x, y } }))
  const loginProof = async (nonce?: string) => {
    const payload = b64url(
      JSON.stringify({
        jti: crypto.randomUUID(),
        htm: 'POST',
        htu: `${ctx.url}/login`,
        iat: Math.floor(ctx.clock.now() / 1000),
        ...(nonce === undefined ? {} : { nonce }),
      }),
    )
    const signature = await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      keys.privateKey,
      new TextEncoder().encode(`${header}.${payload}`),
    )
    return `${header}.${payload}.${b64url(new Uint8Array(signature))}`
  }
  let login = await ctx.request('/login', { json: { username: 'dora' }, headers: { dpop: await loginProof() } })
  if (nonces) {
    // The server asks for its nonce first (RFC 9449 §8), and takes the proof that carries it.
    expect(login.status, login.text).toBe(400)
    expect(login.json?.error).toBe('use_dpop_nonce')
    const nonce = login.headers.get('dpop-nonce') as string
    login = await ctx.request('/login', { json: { username: 'dora' }, headers: { dpop: await loginProof(nonce) } })
  }
  expect(login.status, login.text).toBe(200)
  expect(login.json?.token_type).toBe('DPoP')

  // oauth4webapi keeps each server's DPoP-Nonce and throws a nonce error once: the app retries once.
  let nonceErrors = 0
  const once = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call()
    } catch (error) {
      if (!oauth.isDPoPNonceError(error)) throw error
      nonceErrors++
      return call()
    }
  }
  const refreshed = await once(async () =>
    oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), login.json?.refresh_token as string, options),
    ),
  )
  expect(refreshed.token_type).toBe('dpop')
  const me = await once(async () => {
    const response = await oauth.protectedResourceRequest(
      refreshed.access_token,
      'GET',
      new URL(`${ctx.url}/me`),
      new Headers(),
      null,
      options,
    )
    return response
  })
  expect(me.status).toBe(200)
  expect(((await me.json()) as { sub?: string }).sub).toBe('dora')
  // With nonces: one refused refresh (oauth4webapi had none yet), then the token answer's nonce serves the guard.
  expect(nonceErrors).toBe(nonces ? 1 : 0)

  // Stolen without the key, the tokens are worth nothing.
  expect((await ctx.request('/me', { bearer: refreshed.access_token })).status).toBe(401)
  const bare = await ctx.request(`${PREFIX}/refresh`, { json: { refresh_token: refreshed.refresh_token } })
  expect(bare.status).toBe(400)
  expect(bare.json?.error).toBe('invalid_dpop_proof')
  expect((await ctx.engine.list('dora')).length).toBe(1)
  const otherKeys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
  const thiefs = { ...options, DPoP: oauth.DPoP(client, otherKeys) }
  const thief = await once(async () =>
    oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshed.refresh_token as string, thiefs),
    ),
  ).catch((error: unknown) => error)
  expect(thief).toBeInstanceOf(oauth.ResponseBodyError)
  expect((thief as oauth.ResponseBodyError).error).toBe('invalid_grant')
  expect(await ctx.engine.list('dora')).toEqual([])
}
