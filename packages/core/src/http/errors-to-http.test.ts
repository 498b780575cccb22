import { describe, expect, it } from 'vitest'
import { AUTH_ERROR_CODES, AuthError } from '../errors/index.js'
import { quoteHeaderValue, toHttpError } from './errors-to-http.js'
import { failureResponse, thrownResponse } from './response.js'

const RFC_ERRORS = new Set([
  // RFC 6749 §5.2 and §4.1.2.1, RFC 6750 §3.1, RFC 9470 §3
  'invalid_request',
  'invalid_grant',
  'unsupported_grant_type',
  'access_denied',
  'server_error',
  'temporarily_unavailable',
  'invalid_token',
  'insufficient_user_authentication',
  // RFC 9449 §5 and §8
  'invalid_dpop_proof',
  'use_dpop_nonce',
])

describe('toHttpError', () => {
  it.each(AUTH_ERROR_CODES)('maps %s to a 4xx/5xx with a snake_case error', (code) => {
    const mapped = toHttpError(code)
    expect(mapped.status).toBeGreaterThanOrEqual(400)
    expect(mapped.status).toBeLessThan(600)
    expect(mapped.error).toMatch(/^[a-z_]+$/)
    expect(RFC_ERRORS.has(mapped.error) || mapped.error === 'not_found').toBe(true)
    // A challenge goes with 401 and only with 401; Retry-After only with 503.
    expect(mapped.wwwAuthenticate !== undefined).toBe(mapped.status === 401)
    expect(mapped.retryAfter !== undefined).toBe(mapped.status === 503)
    // Every code makes a well-formed response body.
    const response = failureResponse(code, 'because', { realm: 'api' })
    expect(response.status).toBe(mapped.status)
    expect(response.body).toMatchObject({ error: mapped.error, error_description: 'because', code })
    expect(response.headers['cache-control']).toBe('no-store')
  })

  it('uses 401 for token problems, 403 only for CSRF, 400 invalid_grant for every refused refresh token', () => {
    for (const code of AUTH_ERROR_CODES.filter((c) => c.startsWith('ERR_ACCESS_TOKEN_'))) {
      expect(toHttpError(code).status).toBe(401)
    }
    expect(AUTH_ERROR_CODES.filter((c) => toHttpError(c).status === 403)).toEqual(['ERR_CSRF'])
    for (const code of AUTH_ERROR_CODES.filter((c) => c.startsWith('ERR_REFRESH_TOKEN_') && !c.endsWith('MISSING'))) {
      expect(toHttpError(code)).toEqual({ status: 400, error: 'invalid_grant' })
    }
    expect(toHttpError('ERR_REFRESH_TOKEN_MISSING')).toEqual({ status: 400, error: 'invalid_request' })
    expect(toHttpError('ERR_UNSUPPORTED_GRANT_TYPE').error).toBe('unsupported_grant_type')
    expect(toHttpError('ERR_STORAGE_UNAVAILABLE')).toMatchObject({ status: 503, retryAfter: 1 })
    expect(toHttpError('ERR_STORAGE_CORRUPT').status).toBe(500)
  })
})

describe('WWW-Authenticate', () => {
  it('has no error attribute when no token was sent (RFC 6750 §3.1)', () => {
    const response = failureResponse('ERR_ACCESS_TOKEN_MISSING', 'no token', { realm: 'api' })
    expect(response.headers['www-authenticate']).toBe('Bearer realm="api"')
  })

  it('names invalid_token and escapes the description', () => {
    const response = failureResponse('ERR_ACCESS_TOKEN_EXPIRED', 'say "hi" \\ \r\nX-Evil: 1', { realm: 'api' })
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="say \\"hi\\" \\\\ ??X-Evil: 1"',
    )
  })

  it('asks for a fresh login with max_age on ERR_AUTH_STALE (RFC 9470)', () => {
    const response = failureResponse('ERR_AUTH_STALE', 'too old', { realm: 'api', maxAge: 300 })
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", error_description="too old", max_age="300"',
    )
    expect(response.body).toMatchObject({ code: 'ERR_AUTH_STALE', max_age: 300 })
  })

  it('quoteHeaderValue keeps only printable ASCII and caps the length', () => {
    expect(quoteHeaderValue('é\u0000ok')).toBe('"??ok"')
    expect(quoteHeaderValue('x'.repeat(500)).length).toBe(202)
  })
})

describe('thrownResponse', () => {
  it('turns an outage into 503 with Retry-After and a fixed description (never the message)', () => {
    for (const code of ['ERR_STORAGE_UNAVAILABLE', 'ERR_STORAGE_CONFLICT'] as const) {
      const response = thrownResponse(new AuthError(code, 'connect ECONNREFUSED 10.0.0.7:6379'), 'api')
      expect(response.status).toBe(503)
      expect(response.headers['retry-after']).toBe('1')
      expect(JSON.stringify(response.body)).not.toContain('10.0.0.7')
    }
  })

  it('turns a corrupt record into a generic 500 with its code, and anything else into a generic 500', () => {
    const corrupt = thrownResponse(new AuthError('ERR_STORAGE_CORRUPT', 'row 17: bad nonce'), 'api')
    expect(corrupt).toMatchObject({ status: 500, body: { error: 'server_error', code: 'ERR_STORAGE_CORRUPT' } })
    expect(JSON.stringify(corrupt.body)).not.toContain('row 17')
    for (const thrown of [
      new TypeError('x is undefined'),
      'a string',
      null,
      new AuthError('ERR_CONFIG_INVALID', 'bad'),
    ]) {
      const response = thrownResponse(thrown, 'api')
      expect(response.status).toBe(500)
      expect(response.body).toEqual({ error: 'server_error', error_description: 'internal server error' })
    }
  })

  it("maps a framework's own client errors to 413, 415 and 400", () => {
    const withStatus = (status: number, key = 'status') => Object.assign(new Error('parser said no'), { [key]: status })
    expect(thrownResponse(withStatus(413), 'api').status).toBe(413)
    expect(thrownResponse(withStatus(415, 'statusCode'), 'api').status).toBe(415)
    expect(thrownResponse(withStatus(400), 'api')).toMatchObject({ status: 400, body: { code: 'ERR_BAD_REQUEST' } })
    expect(thrownResponse(withStatus(502), 'api').status).toBe(500)
  })
})
