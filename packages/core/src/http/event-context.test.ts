// Events say who and where (issue 16): the http layer passes each request's context (the
// trust-proxy-resolved IP and the User-Agent) to the engine, and every event of that request
// carries it with the family, the subject and the client id. Refused refreshes of an authentic
// token raise `refresh_refused` with their code.
import { describe, expect, it } from 'vitest'
import type { AuthEvent } from '../events/index.js'
import { createTestEngine } from '../testing/index.js'
import { createAuthHttp } from './http.js'
import type { AuthRequest } from './types.js'

function request(path: string, ip: string, userAgent: string, body?: unknown): AuthRequest {
  const headers = new Map([['user-agent', userAgent]])
  return {
    method: 'POST',
    path,
    headers: { get: (name) => headers.get(name.toLowerCase()) ?? null },
    body: body === undefined ? { kind: 'none' } : { kind: 'parsed', value: body },
    ip,
    protocol: 'https',
    hostname: 'auth.example.test',
  }
}

describe('events carry the request context from the http layer', () => {
  it('issued, rotated, reuse_detected, revoked and refresh_refused name the family, subject, client, IP and user agent', async () => {
    const { engine, events, clock } = createTestEngine({ policy: { graceBinding: 'none' } })
    const http = createAuthHttp({ engine, transport: 'bearer', clientIds: ['web'] })
    const login = await http.login(request('/login', '203.0.113.7', 'Laptop/1'), 'alice', { clientId: 'web' })
    const pair = login.pair as NonNullable<typeof login.pair>
    const who = { familyId: pair.familyId, subject: 'alice', clientId: 'web' }
    expect(events[0]).toEqual({
      type: 'issued',
      at: clock.now(),
      generation: 0,
      ...who,
      context: { ip: '203.0.113.7', userAgent: 'Laptop/1' },
    })

    const refresh = (ip: string, ua: string, token: string) =>
      http.handle(request('/auth/refresh', ip, ua, { refresh_token: token, client_id: 'web' }))
    expect((await refresh('203.0.113.7', 'Laptop/1', pair.refreshToken))?.status).toBe(200)
    expect(events[1]).toMatchObject({ type: 'rotated', ...who, context: { ip: '203.0.113.7' } })

    // The thief's replay after the window: both alarms say where it came from.
    clock.advance(60_000)
    expect((await refresh('198.51.100.9', 'curl/8', pair.refreshToken))?.status).toBe(400)
    const thief = { ip: '198.51.100.9', userAgent: 'curl/8' }
    expect(events.slice(2)).toMatchObject([
      { type: 'reuse_detected', ...who, context: thief },
      { type: 'revoked', reason: 'reuse_detected', ...who, context: thief },
    ])
    // The honest client's next refresh is refused, and says so with its own context.
    expect((await refresh('203.0.113.7', 'Laptop/1', pair.refreshToken))?.status).toBe(400)
    expect(events.at(-1)).toMatchObject({
      type: 'refresh_refused',
      code: 'ERR_REFRESH_TOKEN_REVOKED',
      ...who,
      context: { ip: '203.0.113.7', userAgent: 'Laptop/1' },
    })
  })

  it('logout and logout-all revoke with the context of the request that asked', async () => {
    const { engine, events } = createTestEngine({ policy: { graceBinding: 'none' } })
    const http = createAuthHttp({ engine, transport: 'bearer' })
    const first = (await http.login(request('/login', '192.0.2.1', 'Phone/2'), 'bob')).pair
    await http.login(request('/login', '192.0.2.1', 'Phone/2'), 'bob')
    const out = await http.handle(
      request('/auth/logout', '192.0.2.50', 'Tablet/3', { refresh_token: first?.refreshToken }),
    )
    expect(out?.status).toBe(204)
    const revoked = (e: AuthEvent) => e.type === 'revoked'
    expect(events.filter(revoked)).toMatchObject([
      { familyId: first?.familyId, reason: 'logout', context: { ip: '192.0.2.50', userAgent: 'Tablet/3' } },
    ])
    // The engine checks a context it is given: only ip and userAgent, as strings.
    await expect(engine.revokeAll('bob', 'admin', { context: { ip: 5 } as never })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    })
    await expect(engine.revoke('x', 'admin', { context: { token: 'no' } as never })).rejects.toThrow(
      /not a context field/,
    )
    await engine.revokeAll('bob', 'admin', { context: { ip: '10.0.0.1' } })
    expect(events.filter(revoked).at(-1)).toMatchObject({
      reason: 'admin',
      clientId: null,
      context: { ip: '10.0.0.1' },
    })
  })
})
