import { createManualClock } from '@auth/core/testing'
import { createMemoryStore } from '@auth/storage-memory'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { modelStats, runArb, runModel } from '../src/fault-model.js'

describe('fault injection on the memory store (property)', () => {
  it('every fault at any point of issue, refresh, revoke and revokeAll fails closed, and a retry does what the policy says', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async ({ graceBinding, steps }) => {
        const clock = createManualClock(Date.now())
        await runModel({ inner: createMemoryStore({ clock }), clock, subjects: ['alice', 'bob'] }, graceBinding, steps)
      }),
      { numRuns: 250 },
    )
    console.info('[fault injection, memory]', modelStats)
    // The generator must keep reaching the case this is about: a rotation whose answer was lost.
    expect(modelStats.lostRotationReplayed).toBeGreaterThan(0)
    expect(modelStats.neverLandedRotated).toBeGreaterThan(0)
  }, 120_000)
})
