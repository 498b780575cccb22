import type { AuthEvent, LifetimePolicy } from '@auth/core'
import { DemoClient, type Reply, short, sleep } from './client.js'
import type { Timeline } from './timeline.js'

/** What the script needs from the running demo. */
export interface ScriptContext {
  /** The example app's base URL. */
  readonly url: string
  readonly timeline: Timeline
  /** The engine's resolved policy (the waits are computed from it). */
  readonly policy: LifetimePolicy
  /** Every event the engine has reported so far (the demo's `onEvent` appends to it). */
  readonly events: readonly AuthEvent[]
  /** Whether the engine refuses the access tokens of revoked families (the opt-in revocation feed). */
  readonly revocationFeed: boolean
}

/** What the run showed: false when any step did not behave as the library promises. */
export interface ScriptResult {
  readonly ok: boolean
  /** Expectations that failed, by text. */
  readonly failures: readonly string[]
}

const LAPTOP = 'DemoLaptop/1.0 (laptop of alice)'
const PHONE = 'DemoPhone/2.1 (phone of alice)'
const THIEF = 'curl/8.5.0 (someone else)'
/** Slack added to every real-time wait, so a boundary is clearly behind us. */
const MARGIN = 250

/**
 * The scripted client: login, a protected call, access expiry, rotation, a grace replay,
 * reuse detection, the session list and logout-all, each printed as it happens. It waits in
 * real time (the demo policy is seconds long) and checks every outcome it prints.
 */
export async function runScript(ctx: ScriptContext): Promise<ScriptResult> {
  const { timeline: t, policy } = ctx
  const failures: string[] = []
  const check = (ok: boolean, text: string) => {
    if (!t.check(ok, text)) failures.push(text)
    return ok
  }
  const eventsSince = (from: number, familyId?: string) =>
    ctx.events.slice(from).filter((e) => familyId === undefined || e.familyId === familyId)
  const seconds = (ms: number) => `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`
  const laptop = new DemoClient(ctx.url, LAPTOP, t)

  // 1. Log in.
  t.step('alice logs in (the app checks her password, then calls the login helper)')
  const login = await laptop.login('alice')
  const loggedInAt = Date.now()
  t.response(login.status, `access_token ${short(laptop.accessToken)}, expires_in ${String(login.body?.expires_in)} s`)
  t.say(`refresh_token ${short(laptop.refreshToken)}  (opaque: family id, generation and a MAC)`)
  const issued = ctx.events.find((e) => e.type === 'issued')
  if (!check(login.status === 200 && issued !== undefined, 'a family starts at generation 0') || !issued) {
    return { ok: false, failures }
  }
  const familyId = issued.familyId
  const refresh0 = laptop.refreshToken

  // 2. A protected route.
  t.step('she calls a protected route with the access token')
  const me = await laptop.call('GET', '/api/me')
  const claims = (me.body?.claims ?? {}) as Record<string, unknown>
  t.response(me.status, `sub=${String(claims.sub)} sid=${String(claims.sid)} role=${String(claims.role)}`)
  check(me.status === 200 && claims.sid === familyId, 'the guard verified it; sid is the family id')

  // 3. Wait out the access TTL.
  const expiryWait = loggedInAt + policy.accessTtl + MARGIN - Date.now()
  t.step(`she waits out the demo access TTL (${seconds(policy.accessTtl)}), in real time`)
  t.note(`waiting ${seconds(Math.max(0, expiryWait))}…`)
  await sleep(expiryWait)
  const stale = await laptop.call('GET', '/api/me')
  t.response(stale.status, `${String(stale.code)}  WWW-Authenticate: ${stale.headers.get('www-authenticate') ?? ''}`)
  check(
    stale.status === 401 && stale.code === 'ERR_ACCESS_TOKEN_EXPIRED',
    'an expired access token is refused: time to refresh',
  )

  // 4. Refresh: the generation moves.
  t.step('she refreshes: the family rotates to the next generation')
  let mark = ctx.events.length
  const rotated = await laptop.refresh(refresh0, `refresh_token ${short(refresh0)} (generation 0)`)
  const rotatedAt = Date.now()
  t.response(
    rotated.status,
    `new access_token ${short(laptop.accessToken)}, new refresh_token ${short(laptop.refreshToken)}`,
  )
  const rotation = eventsSince(mark, familyId).find((e) => e.type === 'rotated')
  check(
    rotated.status === 200 && rotation?.type === 'rotated' && rotation.generation === 1,
    'generation 0 → 1; the old refresh token is now spent',
  )
  const refresh1 = laptop.refreshToken
  const access1 = laptop.accessToken
  const fresh = await laptop.call('GET', '/api/me')
  t.response(fresh.status, 'the new access token works')

  // 5. Grace replay.
  t.step(`a second tab replays the OLD refresh token inside the ${seconds(policy.reuseGrace)} grace window`)
  mark = ctx.events.length
  const replay = await new DemoClient(ctx.url, LAPTOP, t).refresh(refresh0, 'generation 0 again, same browser')
  const successor = replay.body?.refresh_token
  t.response(replay.status, `refresh_token ${short(typeof successor === 'string' ? successor : null)}`)
  check(
    replay.status === 200 && successor === refresh1 && eventsSince(mark, familyId).some((e) => e.type === 'replayed'),
    'the same successor as the first tab got: no revocation, no fork',
  )
  t.note('(two tabs, or a retried request after a lost response, race a rotation like this every day)')

  // 6. Reuse after the window.
  const graceWait = rotatedAt + policy.reuseGrace + MARGIN - Date.now()
  t.step('a thief replays the old refresh token AFTER the grace window')
  t.note(`waiting ${seconds(Math.max(0, graceWait))} for the window to close…`)
  await sleep(graceWait)
  mark = ctx.events.length
  const theft = await new DemoClient(ctx.url, THIEF, t).refresh(refresh0, 'generation 0, from another client')
  t.response(
    theft.status,
    `${String(theft.code)}  (error ${String(theft.body?.error)}: RFC 6749's answer to a bad grant)`,
  )
  const detected = eventsSince(mark, familyId)
  check(
    theft.status === 400 &&
      theft.code === 'ERR_REFRESH_TOKEN_REUSED' &&
      detected.some((e) => e.type === 'reuse_detected') &&
      detected.some((e) => e.type === 'revoked' && e.reason === 'reuse_detected'),
    'reuse detected: the whole family is revoked (a security alert for your logs)',
  )
  t.say('alice’s own, current refresh token is refused too:')
  const honest = await laptop.refresh(refresh1, `refresh_token ${short(refresh1)} (generation 1)`)
  t.response(honest.status, String(honest.code))
  check(honest.status === 400 && honest.code === 'ERR_REFRESH_TOKEN_REVOKED', 'nobody refreshes this family again')
  const after = await laptop.call('GET', '/api/me', access1)
  if (ctx.revocationFeed) {
    t.response(after.status, String(after.code))
    check(
      after.status === 401 && after.code === 'ERR_ACCESS_TOKEN_REVOKED',
      'and its access token is refused at once (the revocation feed)',
    )
  } else if (after.status === 200) {
    t.response(after.status, 'the generation-1 access token still passes')
    t.note('access tokens are stateless: without the opt-in revocation feed they live until exp')
    const exp = Number((after.body?.claims as { exp?: unknown } | undefined)?.exp)
    const expWait = exp * 1000 + MARGIN - Date.now()
    t.note(`waiting ${seconds(Math.max(0, expWait))} for its exp…`)
    await sleep(expWait)
    const dead = await laptop.call('GET', '/api/me', access1)
    t.response(dead.status, String(dead.code))
    check(dead.status === 401, 'after exp the access token is refused, and it cannot be renewed')
  } else {
    t.response(after.status, String(after.code))
    check(after.status === 401, 'the generation-1 access token has reached its exp too, and it cannot be renewed')
  }

  // 7. The session list.
  t.step('alice logs in again on her laptop and her phone; her session list')
  const phone = new DemoClient(ctx.url, PHONE, t)
  await laptop.login('alice')
  await phone.login('alice')
  const list = await laptop.call('GET', '/auth/sessions')
  const sessions = (list.body?.sessions ?? []) as Array<Record<string, unknown>>
  t.response(list.status, `${sessions.length} active session(s), most recently used first:`)
  for (const s of sessions) {
    const created = new Date(Number(s.created_at) * 1000).toISOString().slice(11, 19)
    t.say(`  ${s.current ? '★' : ' '} ${String(s.id)}  ${String(s.user_agent)}  ${String(s.ip)}  since ${created}Z`)
  }
  check(list.status === 200 && sessions.length >= 2, 'both logins are listed; the revoked family is not')

  // 8. Logout-all.
  t.step('logout-all ends every session of alice')
  mark = ctx.events.length
  const all = await laptop.call('POST', '/auth/logout-all')
  t.response(all.status, `revoked ${String(all.body?.revoked)}`)
  const ended = eventsSince(mark).filter((e) => e.type === 'revoked' && e.reason === 'logout_all')
  check(all.status === 200 && ended.length >= 2, 'every family ended (logout_all)')
  const phoneRefresh = await phone.refresh()
  t.response(phoneRefresh.status, String(phoneRefresh.code))
  check(
    phoneRefresh.status === 400 && phoneRefresh.code === 'ERR_REFRESH_TOKEN_REVOKED',
    'the phone can no longer refresh',
  )

  return { ok: failures.length === 0, failures }
}

/** How the timeline prints an engine event. */
export function describeEvent(event: AuthEvent): { text: string; alert: boolean } {
  const family = `family ${event.familyId.slice(0, 10)}…`
  switch (event.type) {
    case 'issued':
      return { text: `issued (${family}, generation 0)`, alert: false }
    case 'rotated':
      return { text: `rotated (${family}, generation ${event.generation})`, alert: false }
    case 'replayed':
      return { text: `replayed (${family}: generation ${event.generation} handed out again)`, alert: false }
    case 'reuse_detected':
      return {
        text: `reuse_detected (${family}: generation ${event.presentedGeneration} presented, family at ${event.currentGeneration})`,
        alert: true,
      }
    case 'revoked':
      return { text: `revoked (${family}, reason ${event.reason})`, alert: event.reason === 'reuse_detected' }
    case 'expired':
      return { text: `expired (${family}, ${event.kind})`, alert: false }
    case 'refresh_refused':
      return { text: `refresh_refused (${family}, ${event.code})`, alert: false }
    default: {
      const _never: never = event
      return _never
    }
  }
}

export type { Reply }
