// Review finding 10: clock skew between nodes must not widen the grace window, in either direction.
import { describe, expect, it } from 'vitest'
import type { Clock } from '../runtime.js'
import { createManualClock, createTestStore, TEST_SECRET } from '../testing/index.js'
import { createEngine } from './engine.js'
import type { FamilyStore } from './store.js'

const MINUTE = 60_000

/** The true time (the store's), and two nodes: one a minute fast, one a minute slow. */
function cluster(align: boolean) {
  const truth = createManualClock()
  const store = createTestStore({ clock: truth })
  const node = (skew: number) => {
    const clock: Clock = { now: () => truth.now() + skew }
    return createEngine({
      store,
      clock,
      alignClockToStore: align,
      issuer: 'https://auth.example.test',
      audience: 'api',
      secret: TEST_SECRET,
      policy: { graceBinding: 'none', reuseGrace: '10s', leeway: '5s' },
    })
  }
  return { truth, store, fast: node(MINUTE), slow: node(-MINUTE) }
}

describe('nodes whose clocks disagree decide in the store’s time', () => {
  it('a node a minute fast stamps the rotation with the store’s time, not a minute ahead', async () => {
    const { truth, store, fast, slow } = cluster(true)
    await Promise.all([fast.check(), slow.check()])
    const login = await slow.issue('alice')
    const rotated = await fast.refresh(login.refreshToken)
    expect(rotated.ok).toBe(true)
    expect((await store.get(login.familyId))?.rotatedAt).toBe(truth.now())
    // 11 s later (true time) the window is closed on every node: the old token is reuse.
    truth.advance(11_000)
    expect(await slow.refresh(login.refreshToken)).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_REUSED' })
  })

  it('a node a minute slow refuses a replay once the true grace window has passed', async () => {
    const { truth, fast, slow } = cluster(true)
    await Promise.all([fast.check(), slow.check()])
    const login = await fast.issue('bob')
    expect((await fast.refresh(login.refreshToken)).ok).toBe(true)
    truth.advance(5_000)
    // Inside the window (true time): the same successor, on the slow node too.
    expect(await slow.refresh(login.refreshToken)).toMatchObject({ ok: true, type: 'replayed' })
    truth.advance(6_000)
    expect(await slow.refresh(login.refreshToken)).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_REUSED' })
  })

  it('without the store’s clock (the skew was there before): the slow node would accept a replay for a minute more', async () => {
    const { truth, fast, slow } = cluster(false)
    const login = await fast.issue('carol')
    expect((await fast.refresh(login.refreshToken)).ok).toBe(true)
    truth.advance(30_000)
    // This is the failure the store's clock removes; kept to show what the test above guards.
    expect(await slow.refresh(login.refreshToken)).toMatchObject({ ok: true, type: 'replayed' })
  })

  it('without the store’s clock, a fast node’s stamp does not carry forward: the next rotation is at most leeway ahead', async () => {
    const { truth, store, fast, slow } = cluster(false)
    const login = await slow.issue('dave')
    const first = await fast.refresh(login.refreshToken)
    expect((await store.get(login.familyId))?.rotatedAt).toBe(truth.now() + MINUTE)
    truth.advance(1_000)
    if (!first.ok) throw new Error('unreachable')
    expect((await slow.refresh(first.pair.refreshToken)).ok).toBe(true)
    // The slow node's now is truth - 1 min; the stamp is at most its now + leeway (5 s).
    expect((await store.get(login.familyId))?.rotatedAt).toBe(truth.now() - MINUTE + 5_000)
  })

  it('the offset is measured in the background and a store whose clock fails keeps the last one', async () => {
    const truth = createManualClock()
    const inner = createTestStore({ clock: truth })
    let down = false
    const store: FamilyStore = {
      ...inner,
      now: () => (down ? Promise.reject(new Error('connection reset')) : inner.now()),
    }
    const engine = createEngine({
      store,
      clock: { now: () => truth.now() + MINUTE },
      alignClockToStore: true,
      issuer: 'https://auth.example.test',
      audience: 'api',
      secret: TEST_SECRET,
    })
    await engine.check()
    expect(engine.clock.now()).toBe(truth.now())
    down = true
    await expect(engine.check()).resolves.toBeUndefined()
    expect(engine.clock.now()).toBe(truth.now())
  })
})
