import { fastifyAdapter, send } from '@auth/adapter-conformance'
import { createEngine, type FamilyStore, isAuthError } from '@auth/core'
import { createAuthHttp } from '@auth/core/http'
import { createManualClock } from '@auth/core/testing'
import { createMemoryStore } from '@auth/storage-memory'
import { describe, expect, it } from 'vitest'
import { MODEL_POLICY, modelEngine, runModel, type Step } from '../src/fault-model.js'
import { createFaultyStore, faultSchedule } from '../src/faulty-store.js'

const LOST_CAS = faultSchedule([null, { kind: 'apply_then_fail', error: 'raw' }]) // get, then the compare-and-set

async function outage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'resolved'
  } catch (error) {
    return isAuthError(error) ? error.code : `untyped: ${String(error)}`
  }
}

/**
 * A family whose first rotation landed in the store while the caller saw an outage (the answer
 * was lost): the starting point of the lost-rotation examples below.
 */
async function lostRotation(binding: 'none' | 'user_agent', presentedBinding?: string) {
  const clock = createManualClock(Date.now())
  const inner = createMemoryStore({ clock })
  const faulty = createFaultyStore(inner)
  const engine = modelEngine(faulty, clock, binding)
  const login = await engine.issue('alice')
  faulty.setPlan(LOST_CAS)
  const options = presentedBinding === undefined ? {} : { binding: presentedBinding }
  expect(await outage(engine.refresh(login.refreshToken, options))).toBe('ERR_STORAGE_UNAVAILABLE')
  faulty.clear()
  return { clock, inner, engine, login }
}

describe('a rotation whose answer was lost (the write landed, the caller saw an error)', () => {
  it('user_agent binding: the same client retrying inside the window gets the identical successor, every time', async () => {
    const { clock, inner, engine, login } = await lostRotation('user_agent', 'ua:phone')
    expect((await inner.get(login.familyId))?.generation, 'the rotation landed').toBe(1)

    clock.advance(3_000)
    const retry = await engine.refresh(login.refreshToken, { binding: 'ua:phone' })
    const again = await engine.refresh(login.refreshToken, { binding: 'ua:phone' })
    expect(retry.ok && retry.type).toBe('replayed')
    expect(again.ok && again.type).toBe('replayed')
    if (!retry.ok || !again.ok) return
    expect(retry.pair.generation).toBe(1)
    expect(again.pair.refreshToken).toBe(retry.pair.refreshToken)
    // The successor is the real one: it rotates.
    const next = await engine.refresh(retry.pair.refreshToken, { binding: 'ua:phone' })
    expect(next.ok && next.type).toBe('rotated')
    expect((await inner.get(login.familyId))?.generation).toBe(2)
  })

  it('user_agent binding: a retry from another user agent is reuse and ends the family', async () => {
    const { inner, engine, login } = await lostRotation('user_agent', 'ua:phone')
    const thief = await engine.refresh(login.refreshToken, { binding: 'ua:laptop' })
    expect(!thief.ok && thief.code).toBe('ERR_REFRESH_TOKEN_REUSED')
    expect((await inner.get(login.familyId))?.revocation?.reason).toBe('reuse_detected')
  })

  it('a retry after the grace window is reuse: an outage longer than reuseGrace that lost a rotation logs the user out', async () => {
    const { clock, engine, login } = await lostRotation('none')
    clock.advance(10_000) // MODEL_POLICY.reuseGrace
    const late = await engine.refresh(login.refreshToken)
    expect(!late.ok && late.code).toBe('ERR_REFRESH_TOKEN_REUSED')
    expect(MODEL_POLICY.reuseGrace).toBe('10s')
  })

  it('a late write (timed out, then applied) is the same: replay inside the window', async () => {
    const clock = createManualClock(Date.now())
    const inner = createMemoryStore({ clock })
    const faulty = createFaultyStore(inner, undefined, { timeoutMs: 5 })
    const engine = modelEngine(faulty, clock, 'user_agent')
    const login = await engine.issue('alice')
    faulty.setPlan(faultSchedule([null, { kind: 'late_apply' }]))
    expect(await outage(engine.refresh(login.refreshToken, { binding: 'ua:phone' }))).toBe('ERR_STORAGE_UNAVAILABLE')
    faulty.clear()
    await faulty.settled()
    const retry = await engine.refresh(login.refreshToken, { binding: 'ua:phone' })
    expect(retry.ok && retry.type).toBe('replayed')
  })

  it('over HTTP (Fastify, user_agent binding): 503 with Retry-After, then the same successor on every retry', async () => {
    const clock = createManualClock(Date.now())
    const inner = createMemoryStore({ clock })
    const faulty = createFaultyStore(inner)
    const engine = createEngine({
      store: faulty,
      issuer: 'https://issuer.resilience.test',
      audience: 'resilience',
      secret: 'pcPPV57v/l73vhgGmJRObwerw/87nl1IgLND0ZkJTX0=',
      clock,
      policy: { ...MODEL_POLICY, graceBinding: 'user_agent' },
    })
    const app = await fastifyAdapter.start(createAuthHttp({ engine, prefix: '/auth', clock }))
    try {
      const ua = { 'user-agent': 'ExampleBrowser/1.0' }
      const login = await send(app.url, '/login', { json: { username: 'alice' }, headers: ua })
      expect(login.status).toBe(200)
      const token = login.json?.refresh_token as string
      faulty.setPlan(LOST_CAS)
      const lost = await send(app.url, '/auth/refresh', { json: { refresh_token: token }, headers: ua })
      faulty.clear()
      expect(lost.status, lost.text).toBe(503)
      expect(lost.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(lost.json?.error).toBe('temporarily_unavailable')
      const first = await send(app.url, '/auth/refresh', { json: { refresh_token: token }, headers: ua })
      const second = await send(app.url, '/auth/refresh', { json: { refresh_token: token }, headers: ua })
      expect(first.status, first.text).toBe(200)
      expect(second.status).toBe(200)
      expect(second.json?.refresh_token).toBe(first.json?.refresh_token)
      const me = await send(app.url, '/me', { bearer: first.json?.access_token as string })
      expect(me.status).toBe(200)
      const next = await send(app.url, '/auth/refresh', {
        json: { refresh_token: first.json?.refresh_token },
        headers: ua,
      })
      expect(next.status).toBe(200)
      expect(next.json?.refresh_token).not.toBe(first.json?.refresh_token)
    } finally {
      await app.close()
    }
  })
})

describe('the model can fail', () => {
  const steps: Step[] = [
    { type: 'issue', subject: 0, ua: 'A', faults: [] },
    { type: 'refresh', client: 0, old: false, ua: 'own', retryUa: 'own', faults: [] },
  ]

  it('catches a driver that says a compare-and-set succeeded without writing', async () => {
    const clock = createManualClock(Date.now())
    const real = createMemoryStore({ clock })
    const lying: FamilyStore = { ...real, compareAndSet: async () => ({ ok: true }) }
    await expect(runModel({ inner: lying, clock, subjects: ['alice', 'bob'] }, 'none', steps)).rejects.toThrow()
  })

  it('catches a driver whose failures are not typed as outages', async () => {
    const clock = createManualClock(Date.now())
    const real = createMemoryStore({ clock })
    let calls = 0
    const corrupt: FamilyStore = {
      ...real,
      get: async (id) => (calls++ > 2 ? ({ id } as never) : real.get(id)),
    }
    await expect(runModel({ inner: corrupt, clock, subjects: ['alice', 'bob'] }, 'none', steps)).rejects.toThrow()
  })
})
