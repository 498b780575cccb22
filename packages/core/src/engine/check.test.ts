import { describe, expect, it } from 'vitest'
import { createManualClock, createTestEngine } from '../testing/index.js'

describe('engine.check(), the start-up check', () => {
  it('passes on a sane clock, working keys and a ready store', async () => {
    const { engine } = createTestEngine({ clock: createManualClock(Date.now()) })
    await expect(engine.check()).resolves.toBeUndefined()
  })

  it('refuses a clock that does not give epoch milliseconds after 2020', async () => {
    const broken = createTestEngine({ clock: createManualClock(1_000) })
    await expect(broken.engine.check()).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringMatching(/the clock says 1000.*check the clock option/),
    })
  })

  it("passes the store's own check through: a store that is not ready fails the check", async () => {
    const { store } = createTestEngine()
    const notMigrated = Object.assign(Object.create(null), store, {
      check: async () => {
        throw new (await import('../errors/index.js')).AuthError('ERR_CONFIG_INVALID', 'run migrate() first')
      },
    })
    const { engine } = createTestEngine({ store: notMigrated, clock: createManualClock(Date.now()) })
    await expect(engine.check()).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', message: 'run migrate() first' })
  })
})
