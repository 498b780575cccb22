import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors/index.js'
import { createManualClock, createSeededRandom, createTestEngine, createTestStore } from '../testing/index.js'
import { createEngine } from './engine.js'
import type { EngineOptions, FamilySummary } from './types.js'

function engineWith(claims: EngineOptions['claims']) {
  const clock = createManualClock()
  const seen: FamilySummary[] = []
  const { engine } = createTestEngine({
    clock,
    secret: 'VJ2SQmkBOvq2qcrIbpFI0f1YMbkA71JHGpj/T/Ego8w=',
    random: createSeededRandom(3),
    policy: { graceBinding: 'none' },
    ...(claims === undefined
      ? {}
      : {
          claims: (f: FamilySummary) => {
            seen.push(f)
            return claims(f)
          },
        }),
  })
  return { engine, clock, seen }
}

describe('engine claims loader', () => {
  it('puts the loaded claims on every access token, so they survive rotation', async () => {
    const roles: Record<string, string> = { alice: 'admin', bob: 'reader' }
    const { engine, clock, seen } = engineWith((f) => ({ role: roles[f.subject] ?? 'none' }))
    const pair = await engine.issue('alice', { claims: { login_method: 'password' } })
    const first = await engine.verifyAccess<{ role: string; login_method?: string }>(pair.accessToken)
    expect(first.ok && first.claims.role).toBe('admin')
    expect(first.ok && first.claims.login_method).toBe('password')

    roles.alice = 'reader' // a role change reaches the next token, not the one already out
    clock.advance(60_000)
    const next = await engine.refresh(pair.refreshToken)
    if (!next.ok) throw new Error(next.code)
    const second = await engine.verifyAccess<{ role: string; login_method?: string }>(next.pair.accessToken)
    expect(second.ok && second.claims.role).toBe('reader')
    // The login claims are kept with the family: they survive rotation beside the loaded ones.
    expect(second.ok && second.claims.login_method).toBe('password')
    expect(seen.map((f) => [f.subject, f.generation])).toEqual([
      ['alice', 0],
      ['alice', 1],
    ])
  })

  it('the loader wins over the login claims, name by name (it re-reads what may have changed)', async () => {
    const { engine } = engineWith(async () => ({ tier: 'free' }))
    const pair = await engine.issue('carol', { claims: { tier: 'pro', org: 'acme' } })
    const v = await engine.verifyAccess<{ tier: string; org: string }>(pair.accessToken)
    expect(v.ok && v.claims.tier).toBe('free')
    expect(v.ok && v.claims.org).toBe('acme')
  })

  it('refuses reserved names from the loader, and a loader that is not a function', async () => {
    const { engine } = engineWith(() => ({ sub: 'mallory' }))
    await expect(engine.issue('dave')).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    expect(() =>
      createEngine({
        store: createTestStore(),
        issuer: 'https://auth.example.test',
        audience: 'api',
        secret: 'VJ2SQmkBOvq2qcrIbpFI0f1YMbkA71JHGpj/T/Ego8w=',
        claims: 'nope' as unknown as NonNullable<EngineOptions['claims']>,
      }),
    ).toThrow(AuthError)
  })
})
