import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthError, isAuthError } from '../errors/index.js'
import type { AuthEvent } from '../events/index.js'
import type { FamilyRecord } from '../machine/types.js'
import type { PolicyInput } from '../policy/policy.js'
import {
  createManualClock,
  createTestEngine,
  createTestStore,
  type ManualClock,
  type TestStore,
} from '../testing/index.js'
import { createEngine } from './engine.js'
import type { FamilyStore } from './store.js'
import type { Engine, EngineOptions, RefreshResult } from './types.js'

const SECRET = 'VJ2SQmkBOvq2qcrIbpFI0f1YMbkA71JHGpj/T/Ego8w='
const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

interface Setup {
  readonly engine: Engine
  readonly store: TestStore
  readonly clock: ManualClock
  readonly events: AuthEvent[]
}

/** An engine on the test store, both on one manual clock, with seeded randomness. */
function setup(
  policy: PolicyInput = {},
  overrides: Partial<Omit<EngineOptions, 'clock'>> & { storeClock?: ManualClock } = {},
): Setup {
  const clock = createManualClock()
  const { storeClock, ...rest } = overrides
  const store = createTestStore({ clock: storeClock ?? clock })
  return createTestEngine({ store, clock, secret: SECRET, policy: { graceBinding: 'none', ...policy }, ...rest })
}

async function stored(store: FamilyStore, familyId: string): Promise<FamilyRecord> {
  const record = await store.get(familyId)
  if (record === null) throw new Error(`family ${familyId} is not stored`)
  return record
}

function rotated(result: RefreshResult) {
  if (!result.ok) throw new Error(`expected a rotation, got ${result.code}`)
  expect(result.type).toBe('rotated')
  return result
}

/** Replaces one dot-separated field of a refresh token (`rt1.kid.familyId.generation.mac`). */
function withField(token: string, index: number, value: string): string {
  const parts = token.split('.')
  parts[index] = value
  return parts.join('.')
}

/** A different, well-formed 43-character MAC (the last character keeps its two spare bits zero). */
function otherMac(mac: string): string {
  const first = mac[0] === 'A' ? 'B' : 'A'
  return first + mac.slice(1)
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('engine: login, then refresh', () => {
  it('issues generation 0 and rotates it to generation 1', async () => {
    const { engine, store, events } = setup()
    const login = await engine.issue('alice', { claims: { role: 'admin' }, meta: { userAgent: 'UA' } })
    expect(login.generation).toBe(0)
    expect(login.tokenType).toBe('Bearer')
    const access = await engine.verifyAccess<{ role: string }>(login.accessToken)
    expect(access.ok && access.claims).toMatchObject({
      sub: 'alice',
      sid: login.familyId,
      role: 'admin',
      iss: 'https://auth.example.test',
      aud: 'api',
    })

    const next = rotated(await engine.refresh(login.refreshToken))
    expect(next.pair.generation).toBe(1)
    expect(next.pair.familyId).toBe(login.familyId)
    expect(next.pair.refreshToken).not.toBe(login.refreshToken)
    expect(next.family.generation).toBe(1)
    const record = await stored(store, login.familyId)
    expect(record).toMatchObject({ generation: 1, version: 2, status: 'active' })
    const verified = await engine.verifyAccess(next.pair.accessToken)
    expect(verified.ok && verified.claims.sid).toBe(login.familyId)
    expect(events.map((e) => e.type)).toEqual(['issued', 'rotated'])
  })

  it('keeps rotating along the chain, and the pair reports the family’s expiries', async () => {
    const { engine, clock } = setup({ accessTtl: '15m', refreshIdleTtl: '1h', sessionMaxAge: '1d' })
    const login = await engine.issue('alice')
    let token = login.refreshToken
    for (let generation = 1; generation <= 5; generation++) {
      clock.advance(10 * MINUTE)
      const result = rotated(await engine.refresh(token))
      expect(result.pair.generation).toBe(generation)
      expect(result.pair.refreshTokenExpiresAt).toBe(clock.now() + HOUR)
      expect(result.pair.familyExpiresAt).toBe(login.familyExpiresAt)
      expect(result.pair.accessTokenExpiresAt).toBe(clock.now() + 15 * MINUTE)
      token = result.pair.refreshToken
    }
  })

  it('merges the refresh’s meta into the family’s on rotation', async () => {
    const { engine, store } = setup()
    const login = await engine.issue('alice', { meta: { ip: '10.0.0.1', device: 'laptop' } })
    await engine.refresh(login.refreshToken, { meta: { ip: '10.0.0.2' } })
    expect((await stored(store, login.familyId)).meta).toEqual({ ip: '10.0.0.2', device: 'laptop' })
  })
})

describe('engine: grace window', () => {
  it('answers a replay of the previous generation inside the window with the identical successor', async () => {
    const { engine, store, clock, events } = setup({ reuseGrace: '10s' })
    const login = await engine.issue('alice')
    const first = rotated(await engine.refresh(login.refreshToken))
    clock.advance(9_999)
    const replay = await engine.refresh(login.refreshToken)
    expect(replay.ok && replay.type).toBe('replayed')
    if (!replay.ok) return
    expect(replay.pair.refreshToken).toBe(first.pair.refreshToken)
    expect(replay.pair.generation).toBe(1)
    expect(replay.pair.accessToken).not.toBe(first.pair.accessToken)
    expect((await engine.verifyAccess(replay.pair.accessToken)).ok).toBe(true)
    // Nothing was written, and the successor still rotates normally.
    expect((await stored(store, login.familyId)).version).toBe(2)
    expect(rotated(await engine.refresh(first.pair.refreshToken)).pair.generation).toBe(2)
    expect(events.map((e) => e.type)).toEqual(['issued', 'rotated', 'replayed', 'rotated'])
  })

  it('treats a replay from another binding inside the window as reuse', async () => {
    const { engine, store, events } = setup({ graceBinding: 'user_agent' })
    const login = await engine.issue('alice')
    rotated(await engine.refresh(login.refreshToken, { binding: 'Firefox/140' }))
    const same = await engine.refresh(login.refreshToken, { binding: 'Firefox/140' })
    expect(same.ok && same.type).toBe('replayed')
    const other = await engine.refresh(login.refreshToken, { binding: 'curl/8.5' })
    expect(other).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_REUSED', familyId: login.familyId })
    expect((await stored(store, login.familyId)).status).toBe('revoked')
    expect(events.at(-2)?.type).toBe('reuse_detected')
  })
})

describe('engine: reuse detection', () => {
  it('revokes the family when the previous generation comes back after the window', async () => {
    const { engine, store, clock, events } = setup({ reuseGrace: '10s' })
    const login = await engine.issue('alice')
    const first = rotated(await engine.refresh(login.refreshToken))
    clock.advance(10 * SECOND)
    const reuse = await engine.refresh(login.refreshToken)
    expect(reuse).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_REUSED', familyId: login.familyId })
    const record = await stored(store, login.familyId)
    expect(record.status).toBe('revoked')
    expect(record.revocation).toEqual({ reason: 'reuse_detected', at: clock.now() })
    expect(events.slice(2)).toEqual([
      {
        type: 'reuse_detected',
        at: clock.now(),
        familyId: login.familyId,
        subject: 'alice',
        clientId: null,
        presentedGeneration: 0,
        currentGeneration: 1,
      },
      {
        type: 'revoked',
        at: clock.now(),
        familyId: login.familyId,
        subject: 'alice',
        clientId: null,
        reason: 'reuse_detected',
      },
    ])
    // Afterwards the family refuses the honest client's current token too, and lists nothing.
    expect(await engine.refresh(first.pair.refreshToken)).toMatchObject({
      ok: false,
      code: 'ERR_REFRESH_TOKEN_REVOKED',
      familyId: login.familyId,
    })
    expect(await engine.list('alice')).toEqual([])
  })

  it('revokes on a generation older than the previous one, even inside the window', async () => {
    const { engine } = setup({ reuseGrace: '10s' })
    const login = await engine.issue('alice')
    const first = rotated(await engine.refresh(login.refreshToken))
    rotated(await engine.refresh(first.pair.refreshToken))
    expect(await engine.refresh(login.refreshToken)).toMatchObject({ code: 'ERR_REFRESH_TOKEN_REUSED' })
  })
})

describe('engine: forged refresh tokens never touch a family', () => {
  it('refuses a well-formed token with a wrong MAC and leaves the family as it was', async () => {
    const { engine, store, events } = setup()
    const login = await engine.issue('alice')
    const mac = login.refreshToken.split('.')[4]!
    const forged = withField(login.refreshToken, 4, otherMac(mac))
    expect(await engine.refresh(forged)).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_INVALID' })
    expect(await engine.inspectRefreshToken(forged)).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_INVALID' })
    expect((await stored(store, login.familyId)).version).toBe(1)
    expect(events.map((e) => e.type)).toEqual(['issued'])
  })

  it('refuses a forged old generation without calling it reuse (no revocation)', async () => {
    const { engine, store, clock } = setup()
    const login = await engine.issue('alice')
    const first = rotated(await engine.refresh(login.refreshToken))
    clock.advance(HOUR)
    // Generation 0 is old: a genuine copy would revoke the family. A forged one must not.
    const forged = withField(login.refreshToken, 4, otherMac(login.refreshToken.split('.')[4]!))
    expect(await engine.refresh(forged)).toMatchObject({ code: 'ERR_REFRESH_TOKEN_INVALID' })
    const record = await stored(store, login.familyId)
    expect(record).toMatchObject({ status: 'active', version: 2 })
    expect(rotated(await engine.refresh(first.pair.refreshToken)).pair.generation).toBe(2)
  })

  it('refuses a genuine token rewritten to name someone else’s family, which stays untouched', async () => {
    const { engine, store, clock } = setup()
    const alice = await engine.issue('alice')
    const bob = await engine.issue('bob')
    rotated(await engine.refresh(bob.refreshToken))
    clock.advance(HOUR)
    // Bob's family is at generation 1: generation 0 under his id would be reuse if it were genuine.
    for (const generation of ['0', '1', '7']) {
      const foreign = withField(withField(alice.refreshToken, 2, bob.familyId), 3, generation)
      expect(await engine.refresh(foreign)).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_INVALID' })
    }
    expect(await stored(store, bob.familyId)).toMatchObject({ status: 'active', version: 2, generation: 1 })
    expect(await stored(store, alice.familyId)).toMatchObject({ status: 'active', version: 1 })
  })

  it('gives typed failures for malformed, unknown-key and unknown-family tokens', async () => {
    const { engine } = setup()
    const login = await engine.issue('alice')
    const cases: Array<[unknown, string]> = [
      ['', 'ERR_REFRESH_TOKEN_MISSING'],
      [undefined, 'ERR_REFRESH_TOKEN_MISSING'],
      ['not-a-token', 'ERR_REFRESH_TOKEN_MALFORMED'],
      [login.refreshToken.slice(0, -1), 'ERR_REFRESH_TOKEN_MALFORMED'],
      [`${login.refreshToken}A`, 'ERR_REFRESH_TOKEN_MALFORMED'],
      ['x'.repeat(1_000_000), 'ERR_REFRESH_TOKEN_MALFORMED'],
      [withField(login.refreshToken, 1, 'other-kid'), 'ERR_REFRESH_TOKEN_INVALID'],
      [withField(login.refreshToken, 2, 'AAAAAAAAAAAAAAAAAAAAAA'), 'ERR_REFRESH_TOKEN_INVALID'],
    ]
    for (const [token, code] of cases) {
      expect(await engine.refresh(token as string)).toMatchObject({ ok: false, code })
    }
  })
})

describe('engine: expiry', () => {
  const policy: PolicyInput = { accessTtl: '15m', refreshIdleTtl: '1h', sessionMaxAge: '1d' }

  it('idle expiry: unused for refreshIdleTtl, the family is gone from the store and the token refused', async () => {
    const { engine, store, clock } = setup(policy)
    const login = await engine.issue('alice')
    clock.advance(HOUR - 1)
    const alive = rotated(await engine.refresh(login.refreshToken))
    clock.advance(HOUR)
    // The memory store shares the clock, so it dropped the record: the token names nothing.
    expect(await engine.refresh(alive.pair.refreshToken)).toMatchObject({ code: 'ERR_REFRESH_TOKEN_INVALID' })
    expect(await store.get(login.familyId)).toBeNull()
    expect(await engine.list('alice')).toEqual([])
  })

  it('idle expiry on a store that has not purged yet: ERR_REFRESH_TOKEN_EXPIRED, recorded and reported', async () => {
    const storeClock = createManualClock()
    const { engine, store, clock, events } = setup(policy, { storeClock })
    const login = await engine.issue('alice')
    clock.advance(HOUR)
    expect(await engine.refresh(login.refreshToken)).toMatchObject({
      ok: false,
      code: 'ERR_REFRESH_TOKEN_EXPIRED',
      familyId: login.familyId,
    })
    expect((await stored(store, login.familyId)).revocation).toEqual({ reason: 'expired', at: clock.now() })
    expect(events.at(-1)).toMatchObject({ type: 'expired', kind: 'idle', familyId: login.familyId })
    expect(await engine.list('alice')).toEqual([])
    expect(await engine.refresh(login.refreshToken)).toMatchObject({ code: 'ERR_REFRESH_TOKEN_REVOKED' })
  })

  it('absolute expiry: however active, the family ends sessionMaxAge after login', async () => {
    const storeClock = createManualClock()
    const { engine, clock, events } = setup(policy, { storeClock })
    const login = await engine.issue('alice')
    let token = login.refreshToken
    let last = login
    while (clock.now() + 50 * MINUTE < login.familyExpiresAt) {
      clock.advance(50 * MINUTE)
      const next = rotated(await engine.refresh(token))
      // Neither the refresh token nor the access token outlives the family.
      expect(next.pair.refreshTokenExpiresAt).toBeLessThanOrEqual(login.familyExpiresAt)
      expect(next.pair.accessTokenExpiresAt).toBeLessThanOrEqual(login.familyExpiresAt)
      token = next.pair.refreshToken
      last = next.pair
    }
    expect(last.generation).toBeGreaterThan(20)
    clock.set(login.familyExpiresAt)
    expect(await engine.refresh(token)).toMatchObject({ code: 'ERR_REFRESH_TOKEN_EXPIRED' })
    expect(events.at(-1)).toMatchObject({ type: 'expired', kind: 'absolute' })
  })
})

describe('engine: logout and logout-all', () => {
  it('revokeAll ends every active family of the subject and nobody else’s', async () => {
    const { engine, events } = setup()
    const alice = await Promise.all([engine.issue('alice'), engine.issue('alice'), engine.issue('alice')])
    const bob = await engine.issue('bob')
    expect(await engine.revokeAll('alice')).toEqual({ revoked: 3 })
    expect(await engine.list('alice')).toEqual([])
    expect((await engine.list('bob')).map((f) => f.id)).toEqual([bob.familyId])
    for (const pair of alice) {
      expect(await engine.refresh(pair.refreshToken)).toMatchObject({ code: 'ERR_REFRESH_TOKEN_REVOKED' })
    }
    rotated(await engine.refresh(bob.refreshToken))
    const revoked = events.filter((e) => e.type === 'revoked')
    expect(revoked).toHaveLength(3)
    expect(revoked.every((e) => e.type === 'revoked' && e.reason === 'logout_all' && e.subject === 'alice')).toBe(true)
    expect(await engine.revokeAll('alice')).toEqual({ revoked: 0 })
  })

  it('revoke ends one family; revoking again or an unknown id is a typed failure', async () => {
    const { engine } = setup()
    const a = await engine.issue('alice')
    const b = await engine.issue('alice')
    const result = await engine.revoke(a.familyId, 'logout')
    expect(result.ok && result.family.revocation?.reason).toBe('logout')
    expect(await engine.revoke(a.familyId, 'logout')).toMatchObject({ ok: false, code: 'ERR_FAMILY_REVOKED' })
    expect(await engine.revoke('no-such-family-id', 'admin')).toMatchObject({ code: 'ERR_FAMILY_NOT_FOUND' })
    expect((await engine.list('alice')).map((f) => f.id)).toEqual([b.familyId])
  })

  it('inspectRefreshToken names the family of an authentic token without using it', async () => {
    const { engine, store } = setup()
    const login = await engine.issue('alice')
    expect(await engine.inspectRefreshToken(login.refreshToken)).toEqual({
      ok: true,
      familyId: login.familyId,
      subject: 'alice',
      generation: 0,
    })
    expect((await stored(store, login.familyId)).version).toBe(1)
  })

  it('lists active families most recently used first, without internals', async () => {
    const { engine, clock } = setup()
    const older = await engine.issue('alice', { meta: { device: 'laptop' } })
    clock.advance(MINUTE)
    const newer = await engine.issue('alice', { meta: { device: 'phone' } })
    clock.advance(MINUTE)
    await engine.refresh(older.refreshToken)
    const list = await engine.list('alice')
    expect(list.map((f) => f.id)).toEqual([older.familyId, newer.familyId])
    expect(list[0]).not.toHaveProperty('nonce')
    expect(list[0]).not.toHaveProperty('version')
    expect(list[0]?.meta).toEqual({ device: 'laptop' })
  })
})

describe('engine: freshness', () => {
  it('refuses a stale login with ERR_AUTH_STALE until the subject reauthenticates', async () => {
    const { engine, clock } = setup({ accessTtl: '15m' })
    const login = await engine.issue('alice')
    clock.advance(10 * MINUTE)
    expect((await engine.verifyAccess(login.accessToken, { maxAuthAge: '5m' })).ok).toBe(false)
    expect(await engine.verifyAccess(login.accessToken, { maxAuthAge: '5m' })).toMatchObject({
      code: 'ERR_AUTH_STALE',
    })
    expect((await engine.verifyAccess(login.accessToken, { maxAuthAge: '15m' })).ok).toBe(true)
    // A rotation alone does not make a login fresh...
    const next = rotated(await engine.refresh(login.refreshToken))
    expect(await engine.verifyAccess(next.pair.accessToken, { maxAuthAge: '5m' })).toMatchObject({
      code: 'ERR_AUTH_STALE',
    })
    // ...reauthenticating does.
    const re = await engine.reauthenticate(login.familyId)
    expect(re.ok && re.family.authTime).toBe(clock.now())
    const fresh = rotated(await engine.refresh(next.pair.refreshToken))
    expect((await engine.verifyAccess(fresh.pair.accessToken, { maxAuthAge: '5m' })).ok).toBe(true)
  })

  it('gives typed failures for tokens that are not access tokens', async () => {
    const { engine } = setup()
    const login = await engine.issue('alice')
    for (const token of ['', 'garbage', login.refreshToken, `${login.accessToken}x`]) {
      const result = await engine.verifyAccess(token)
      expect(result.ok).toBe(false)
    }
  })
})

describe('engine: races', () => {
  it('200 concurrent refreshes of one generation: exactly one rotation, the rest replay the same successor', async () => {
    const { engine, store, events } = setup({ reuseGrace: '10s' })
    const login = await engine.issue('alice')
    let conflicts = 0
    const counting: FamilyStore = {
      ...store,
      async compareAndSet(id, expectedVersion, next) {
        const result = await store.compareAndSet(id, expectedVersion, next)
        if (!result.ok) conflicts++
        return result
      },
    }
    const racing = createEngine({
      store: counting,
      issuer: 'https://auth.example.test',
      audience: 'api',
      secret: SECRET,
      clock: { now: () => Date.UTC(2026, 0, 1) },
      policy: { reuseGrace: '10s', graceBinding: 'none' },
      onEvent: (event) => events.push(event),
    })
    const results = await Promise.all(Array.from({ length: 200 }, () => racing.refresh(login.refreshToken)))
    const types = results.map((r) => (r.ok ? r.type : r.code))
    expect(types.filter((t) => t === 'rotated')).toHaveLength(1)
    expect(types.filter((t) => t === 'replayed')).toHaveLength(199)
    // The race was real: the losers read version 1 and lost their compare-and-set.
    expect(conflicts).toBe(199)
    const successors = new Set(results.map((r) => (r.ok ? r.pair.refreshToken : '')))
    expect(successors.size).toBe(1)
    // No lost update: one write happened.
    expect(await stored(store, login.familyId)).toMatchObject({ generation: 1, version: 2, status: 'active' })
    expect(events.filter((e) => e.type === 'rotated')).toHaveLength(1)
    expect(events.filter((e) => e.type === 'replayed')).toHaveLength(199)
    // And the one successor carries on.
    expect(rotated(await engine.refresh([...successors][0]!)).pair.generation).toBe(2)
  })

  it('gives up with ERR_STORAGE_CONFLICT after maxRetries lost races, and returns no token', async () => {
    const { store } = setup()
    let attempts = 0
    const alwaysLosing: FamilyStore = {
      ...store,
      async compareAndSet() {
        attempts++
        return { ok: false, reason: 'conflict' }
      },
    }
    const engine = createEngine({
      store: alwaysLosing,
      issuer: 'https://auth.example.test',
      audience: 'api',
      secret: SECRET,
      maxRetries: 3,
      policy: { graceBinding: 'none' },
    })
    const login = await engine.issue('alice')
    const error = await engine.refresh(login.refreshToken).catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('ERR_STORAGE_CONFLICT')
    expect(attempts).toBe(4)
  })
})

describe('engine: storage outages fail closed', () => {
  /** The memory store with one method failing like a dropped connection. */
  function failing(store: FamilyStore, method: keyof FamilyStore): FamilyStore {
    return {
      ...store,
      [method]: async () => {
        throw new Error('ECONNRESET')
      },
    }
  }

  function engineOn(store: FamilyStore): Engine {
    return createEngine({
      store,
      issuer: 'https://auth.example.test',
      audience: 'api',
      secret: SECRET,
      policy: { graceBinding: 'none' },
    })
  }

  it('issue: a failing create throws ERR_STORAGE_UNAVAILABLE with the cause, and no family exists', async () => {
    const store = createTestStore()
    const error = await engineOn(failing(store, 'create'))
      .issue('alice')
      .catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('ERR_STORAGE_UNAVAILABLE')
    expect((error as AuthError).cause).toBeInstanceOf(Error)
    expect(store.size()).toBe(0)
  })

  it('refresh: a failing read or write throws ERR_STORAGE_UNAVAILABLE and the family is unchanged', async () => {
    const store = createTestStore()
    const login = await engineOn(store).issue('alice')
    for (const method of ['get', 'compareAndSet'] as const) {
      const error = await engineOn(failing(store, method))
        .refresh(login.refreshToken)
        .catch((e: unknown) => e)
      expect(isAuthError(error) && error.code).toBe('ERR_STORAGE_UNAVAILABLE')
    }
    expect(await stored(store, login.familyId)).toMatchObject({ generation: 0, version: 1 })
    // A retry once storage is back rotates normally.
    expect(rotated(await engineOn(store).refresh(login.refreshToken)).pair.generation).toBe(1)
  })

  it('revokeAll and list: a failing listBySubject throws ERR_STORAGE_UNAVAILABLE', async () => {
    const store = failing(createTestStore(), 'listBySubject')
    for (const run of [(e: Engine) => e.revokeAll('alice'), (e: Engine) => e.list('alice')]) {
      const error = await run(engineOn(store)).catch((e: unknown) => e)
      expect(isAuthError(error) && error.code).toBe('ERR_STORAGE_UNAVAILABLE')
    }
  })

  it('a driver’s own AuthError passes through unchanged', async () => {
    const store = createTestStore()
    const login = await engineOn(store).issue('alice')
    const corrupt: FamilyStore = {
      ...store,
      async get() {
        throw new AuthError('ERR_STORAGE_CORRUPT', 'row is not JSON')
      },
    }
    const error = await engineOn(corrupt)
      .refresh(login.refreshToken)
      .catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('ERR_STORAGE_CORRUPT')
  })

  it('a store answering with another family’s record is corrupt, not trusted', async () => {
    const store = createTestStore()
    const engine = engineOn(store)
    const alice = await engine.issue('alice')
    const bob = await engine.issue('bob')
    const confused: FamilyStore = { ...store, get: () => store.get(bob.familyId) }
    const error = await engineOn(confused)
      .refresh(alice.refreshToken)
      .catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('ERR_STORAGE_CORRUPT')
  })
})

describe('engine: events and configuration', () => {
  it('a throwing onEvent is reported with console.error and never breaks the request', async () => {
    const report = vi.spyOn(console, 'error').mockImplementation(() => {})
    const engine = createEngine({
      store: createTestStore(),
      issuer: 'https://auth.example.test',
      audience: 'api',
      secret: SECRET,
      policy: { graceBinding: 'none' },
      onEvent: () => {
        throw new Error('listener bug')
      },
    })
    const login = await engine.issue('alice')
    rotated(await engine.refresh(login.refreshToken))
    expect(report).toHaveBeenCalledTimes(2)
    expect(String(report.mock.calls[0]?.[0])).toContain('issued')
  })

  it('refuses bad options at construction, naming them', () => {
    const base = { store: createTestStore(), issuer: 'https://i.test', audience: 'api' }
    const bad: Array<[Partial<EngineOptions> & Record<string, unknown>, RegExp]> = [
      [{ ...base }, /keys .*or secret/],
      [{ ...base, secret: SECRET, keys: { signing: [], refresh: [] } }, /not both/],
      [{ ...base, secret: 'short' }, /secret/],
      [{ ...base, secret: SECRET, issuer: '' }, /issuer/],
      [{ ...base, secret: SECRET, audience: [] }, /audience/],
      [{ ...base, secret: SECRET, store: {} as FamilyStore }, /store/],
      [{ ...base, secret: SECRET, maxRetries: -1 }, /maxRetries/],
      [{ ...base, secret: SECRET, policy: { reuseGrace: '1h' } }, /reuseGrace/],
    ]
    for (const [options, message] of bad) {
      let caught: unknown
      try {
        createEngine(options as EngineOptions)
      } catch (error) {
        caught = error
      }
      expect(isAuthError(caught) && caught.code).toBe('ERR_CONFIG_INVALID')
      expect((caught as Error).message).toMatch(message)
    }
  })

  it('refuses reserved claim names in issue and refresh', async () => {
    const { engine } = setup()
    for (const name of ['sub', 'exp', 'sid', 'auth_time', 'iss']) {
      const error = await engine.issue('alice', { claims: { [name]: 'x' } }).catch((e: unknown) => e)
      expect(isAuthError(error) && error.code).toBe('ERR_CONFIG_INVALID')
    }
    const login = await engine.issue('alice')
    await expect(engine.refresh(login.refreshToken, { claims: { jti: 'x' } })).rejects.toThrow(/reserved/)
  })

  it('serves a JWKS of public keys only', () => {
    const { engine } = setup()
    const { keys } = engine.jwks()
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys) {
      expect(key).not.toHaveProperty('d')
      expect(key).not.toHaveProperty('k')
      expect(key.kid).toBeTypeOf('string')
    }
  })
})
