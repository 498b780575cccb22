// The client's own state machine under any interleaving (fast-check), with a fake fetch whose
// refresh answers the test releases one by one: at most one refresh in flight per client, and no
// session after a sign-out, whatever answer lands later (the commit guard).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createAuthClient } from '../src/index.js'

type Answer = 'ok' | 'reused' | 'network'

function harness() {
  let inFlight = 0
  let maxInFlight = 0
  const pending: ((answer: Answer) => void)[] = []
  const fetch = (async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input)
    if (url.endsWith('/auth/refresh')) {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      const answer = await new Promise<Answer>((resolve) => pending.push(resolve))
      inFlight--
      if (answer === 'network') throw new TypeError('fetch failed')
      if (answer === 'reused') {
        return Response.json({ error: 'invalid_grant', code: 'ERR_REFRESH_TOKEN_REUSED' }, { status: 400 })
      }
      return Response.json({ access_token: 'a2', refresh_token: 'r2', expires_in: 300 })
    }
    return new Response(null, { status: url.includes('/auth/logout') ? 204 : 200 })
  }) as typeof globalThis.fetch
  const client = createAuthClient({ baseUrl: 'https://app.test', transport: 'bearer', channel: false, fetch })
  return { client, pending, maxInFlight: () => maxInFlight }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('the client state machine (property)', () => {
  it('any interleaving of refreshes, answers and logouts: one refresh in flight at most, nothing after sign-out', async () => {
    const action = fc.oneof(
      fc.constant({ type: 'refresh' as const }),
      fc.constantFrom<Answer>('ok', 'reused', 'network').map((answer) => ({ type: 'answer' as const, answer })),
      fc.constant({ type: 'logout' as const }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 25 }), async (actions) => {
        const { client, pending, maxInFlight } = harness()
        await client.signedIn({ access_token: 'a1', refresh_token: 'r1', expires_in: 300 })
        let signedOut = false
        const refreshes: Promise<unknown>[] = []
        for (const step of actions) {
          if (step.type === 'refresh') refreshes.push(client.refresh())
          else if (step.type === 'answer') pending.shift()?.(step.answer)
          else {
            await client.logout()
            signedOut = true
          }
          await flush()
          expect(maxInFlight()).toBeLessThanOrEqual(1)
          if (signedOut) expect(client.signedInNow()).toBe(false)
        }
        // Every answer still pending lands now: none brings a signed-out session back.
        while (pending.length > 0) {
          pending.shift()?.('ok')
          await flush()
        }
        await Promise.all(refreshes)
        if (signedOut) expect(client.signedInNow()).toBe(false)
        client.close()
      }),
      { numRuns: 200 },
    )
  })
})
