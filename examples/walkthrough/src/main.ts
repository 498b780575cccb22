// A scripted walkthrough of the engine on the memory store: login, refresh, grace replay, reuse
// detection and logout-all, each step printed. Time is a manual clock, so nothing waits.
// Run it with `pnpm demo` at the repository root (or `pnpm start` here).
import { styleText } from 'node:util'
import { type AuthEvent, createEngine, type RefreshResult } from '@auth/core'
import { createManualClock } from '@auth/core/testing'
import { createMemoryStore } from '@auth/storage-memory'

const clock = createManualClock(Date.UTC(2026, 0, 1, 9, 0, 0))
const start = clock.now()

const engine = createEngine({
  store: createMemoryStore({ clock }),
  issuer: 'https://auth.example.test',
  audience: 'api',
  // Quick start: every key derived from one secret. Production passes `keys`.
  secret: 'walkthrough-secret-do-not-use-in-production',
  clock,
  policy: { accessTtl: '15m', refreshIdleTtl: '7d', sessionMaxAge: '30d', reuseGrace: '10s' },
  onEvent: (event) => console.log(styleText('magenta', `      event ${describe(event)}`)),
})

let stepNumber = 0
function step(title: string): void {
  stepNumber++
  const elapsed = Math.round((clock.now() - start) / 1000)
  const stamp = `+${String(Math.floor(elapsed / 60)).padStart(2, '0')}:${String(elapsed % 60).padStart(2, '0')}`
  console.log(`\n${styleText('bold', `${stepNumber}. ${title}`)} ${styleText('dim', stamp)}`)
}
function say(line: string): void {
  console.log(`   ${line}`)
}
function short(token: string): string {
  return `${token.slice(0, 24)}…${token.slice(-6)}`
}
function outcome(result: RefreshResult): string {
  if (result.ok) return styleText('green', `${result.type}: generation ${result.pair.generation}`)
  return styleText('red', `${result.code} (${result.message})`)
}
function describe(event: AuthEvent): string {
  switch (event.type) {
    case 'issued':
    case 'rotated':
    case 'replayed':
      return `${event.type} (generation ${event.generation})`
    case 'reuse_detected':
      return `reuse_detected: generation ${event.presentedGeneration} presented, family was at ${event.currentGeneration} (security alert)`
    case 'revoked':
      return `revoked (${event.reason})`
    case 'expired':
      return `expired (${event.kind})`
    default: {
      const _never: never = event
      return _never
    }
  }
}

const browser = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0'

step('alice logs in (the app checked her password, then calls engine.issue)')
const login = await engine.issue('alice', { claims: { role: 'reader' }, meta: { userAgent: browser } })
say(`family ${login.familyId}, generation ${login.generation}`)
say(`access token  ${short(login.accessToken)}`)
say(`refresh token ${short(login.refreshToken)}`)

step('she calls a protected route (engine.verifyAccess)')
const access = await engine.verifyAccess<{ role: string }>(login.accessToken)
say(
  access.ok
    ? styleText('green', `ok: sub=${access.claims.sub} sid=${access.claims.sid} role=${access.claims.role}`)
    : styleText('red', access.code),
)

clock.advance(16 * 60_000)
step('16 minutes later the access token has expired')
const stale = await engine.verifyAccess(login.accessToken)
say(stale.ok ? 'still valid?!' : styleText('yellow', `${stale.code}: time to refresh`))

step('she refreshes: the family rotates to the next generation')
const rotation = await engine.refresh(login.refreshToken, { binding: browser })
say(outcome(rotation))
if (!rotation.ok) throw new Error('the walkthrough expected a rotation')
say(`new refresh token ${short(rotation.pair.refreshToken)}`)

clock.advance(3_000)
step('3 s later a second tab presents the old token (inside the 10 s grace window)')
const replay = await engine.refresh(login.refreshToken, { binding: browser })
say(outcome(replay))
if (replay.ok) {
  const same = replay.pair.refreshToken === rotation.pair.refreshToken
  say(`same successor as the first tab got: ${same ? styleText('green', 'yes') : styleText('red', 'no')}`)
}

clock.advance(60_000)
step('a minute later a thief presents the same old token (outside the window)')
const theft = await engine.refresh(login.refreshToken, { binding: 'curl/8.5.0' })
say(outcome(theft))

step("alice's own current refresh token is refused too: the whole family is revoked")
say(outcome(await engine.refresh(rotation.pair.refreshToken, { binding: browser })))

step('she logs in again on a laptop and a phone')
const laptop = await engine.issue('alice', { meta: { userAgent: browser, device: 'laptop' } })
say(`laptop: family ${laptop.familyId}`)
clock.advance(60_000)
const phone = await engine.issue('alice', { meta: { userAgent: 'AliceApp/2.1 (iPhone)', device: 'phone' } })

say(`phone:  family ${phone.familyId} (a minute later)`)

step('her session list (engine.list), most recently used first')
for (const family of await engine.list('alice')) {
  say(`${family.id}  ${String(family.meta.device)}  generation ${family.generation}`)
}

step('logout-all (engine.revokeAll) ends every session')
const { revoked } = await engine.revokeAll('alice')
say(`revoked ${revoked} families; sessions left: ${(await engine.list('alice')).length}`)
say(`the laptop's refresh token now: ${outcome(await engine.refresh(laptop.refreshToken, { binding: browser }))}`)

console.log(`\n${styleText('bold', 'done.')} Every rule above lives in @auth/core; the store only compare-and-sets.`)
