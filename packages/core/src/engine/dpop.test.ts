// DPoP binding in the engine (issue 15): a family logged in with a proof is bound to the key's
// thumbprint; its refreshes need a proof by that key (none: refused, nothing revoked; another
// key: a thief's reuse, the family revoked); its access tokens carry cnf.jkt and are refused
// without a proof by the same key. The thumbprints come from real proofs, checked by verifyDpopProof.
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { createTestEngine } from '../testing/index.js'
import { verifyDpopProof } from '../tokens/dpop.js'

const URL_ = 'https://auth.example.test/auth/refresh'

/** A key pair and the thumbprint a verified proof by it yields. */
async function dpopKey(now: number): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const proof = await new SignJWT({ jti: crypto.randomUUID(), htm: 'POST', htu: URL_, iat: Math.floor(now / 1000) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
    .sign(privateKey)
  const verified = await verifyDpopProof(proof, { method: 'POST', url: URL_ }, { now })
  if (!verified.ok) throw new Error(verified.message)
  return verified.jkt
}

let mine: string
let thief: string
beforeAll(async () => {
  const now = createTestEngine().clock.now()
  ;[mine, thief] = [await dpopKey(now), await dpopKey(now)]
})

describe("engine dpop: 'allowed'", () => {
  it('binds a family logged in with a proof: token_type DPoP, cnf.jkt, refused without a proof by that key', async () => {
    const { engine, store } = createTestEngine({ dpop: 'allowed', policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice', { dpop: { jkt: mine } })
    expect(login.tokenType).toBe('DPoP')
    expect((await store.get(login.familyId))?.jkt).toBe(mine)
    expect(await engine.verifyAccess(login.accessToken)).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_INVALID' })
    expect(await engine.verifyAccess(login.accessToken, { dpopJkt: thief })).toMatchObject({ ok: false })
    const ok = await engine.verifyAccess(login.accessToken, { dpopJkt: mine })
    expect(ok).toMatchObject({ ok: true, claims: { sub: 'alice', cnf: { jkt: mine } } })
  })

  it('a refresh without a proof is refused with ERR_DPOP_PROOF_INVALID and revokes nothing', async () => {
    const { engine, store, events } = createTestEngine({ dpop: 'allowed', policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice', { dpop: { jkt: mine } })
    const before = await store.get(login.familyId)
    expect(await engine.refresh(login.refreshToken)).toMatchObject({ ok: false, code: 'ERR_DPOP_PROOF_INVALID' })
    expect(await store.get(login.familyId)).toEqual(before)
    expect(events.map((e) => e.type)).toEqual(['issued', 'refresh_refused'])
    const next = await engine.refresh(login.refreshToken, { dpop: { jkt: mine } })
    expect(next).toMatchObject({ ok: true, type: 'rotated', pair: { tokenType: 'DPoP' } })
    if (next.ok) {
      expect(await engine.verifyAccess(next.pair.accessToken, { dpopJkt: mine })).toMatchObject({
        ok: true,
        claims: { cnf: { jkt: mine } },
      })
    }
  })

  it('a valid proof by another key is a thief’s reuse: refused, the family revoked, the alarm raised', async () => {
    const { engine, store, events } = createTestEngine({ dpop: 'allowed', policy: { graceBinding: 'none' } })
    const other = await engine.issue('bob', { dpop: { jkt: mine } })
    const login = await engine.issue('alice', { dpop: { jkt: mine } })
    expect(await engine.refresh(login.refreshToken, { dpop: { jkt: thief } })).toMatchObject({
      ok: false,
      code: 'ERR_REFRESH_TOKEN_REUSED',
      revocationReason: 'reuse_detected',
    })
    expect((await store.get(login.familyId))?.status).toBe('revoked')
    expect(events.filter((e) => e.familyId === login.familyId).map((e) => e.type)).toEqual([
      'issued',
      'reuse_detected',
      'revoked',
    ])
    // No other family changed, and the owner's key cannot bring this one back.
    expect((await store.get(other.familyId))?.status).toBe('active')
    expect(await engine.refresh(login.refreshToken, { dpop: { jkt: mine } })).toMatchObject({
      ok: false,
      code: 'ERR_REFRESH_TOKEN_REVOKED',
    })
  })

  it('another key is revoked even without the binding value a replay would need (graceBinding user_agent)', async () => {
    const { engine, store } = createTestEngine({ dpop: 'allowed', policy: { graceBinding: 'user_agent' } })
    const login = await engine.issue('alice', { dpop: { jkt: mine } })
    expect(await engine.refresh(login.refreshToken, { dpop: { jkt: thief } })).toMatchObject({
      code: 'ERR_REFRESH_TOKEN_REUSED',
    })
    expect((await store.get(login.familyId))?.status).toBe('revoked')
  })

  it('inside the grace window a replay by the same key gets the identical successor', async () => {
    const { engine } = createTestEngine({ dpop: 'allowed', policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice', { dpop: { jkt: mine } })
    const first = await engine.refresh(login.refreshToken, { dpop: { jkt: mine } })
    const again = await engine.refresh(login.refreshToken, { dpop: { jkt: mine } })
    expect(again).toMatchObject({ ok: true, type: 'replayed' })
    expect(first.ok && again.ok && again.pair.refreshToken === first.pair.refreshToken).toBe(true)
  })

  it('a family logged in without a proof stays a bearer family', async () => {
    const { engine } = createTestEngine({ dpop: 'allowed', policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice')
    expect(login.tokenType).toBe('Bearer')
    expect(await engine.verifyAccess(login.accessToken)).toMatchObject({ ok: true })
    expect(await engine.refresh(login.refreshToken)).toMatchObject({ ok: true, pair: { tokenType: 'Bearer' } })
  })
})

describe('engine dpop: a proof replayed from before the last rotation (any node, no jti store)', () => {
  it('outside the grace window, the same key with a pre-rotation iat is refused and revokes nothing; a fresh iat is reuse', async () => {
    const { engine, store, clock, events } = createTestEngine({ dpop: 'allowed', policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice', { dpop: { jkt: mine } })
    const iat = Math.floor(clock.now() / 1000)
    const rotated = await engine.refresh(login.refreshToken, { dpop: { jkt: mine, iat } })
    expect(rotated).toMatchObject({ ok: true, type: 'rotated' })
    clock.advance(30_000) // past the 10 s grace window, inside the proof's 60 s
    const before = await store.get(login.familyId)
    // The captured request (token and proof) sent again, at a node that never saw its jti.
    expect(await engine.refresh(login.refreshToken, { dpop: { jkt: mine, iat } })).toMatchObject({
      ok: false,
      code: 'ERR_DPOP_PROOF_INVALID',
      message: expect.stringMatching(/before the session last rotated/),
    })
    expect(await store.get(login.familyId)).toEqual(before)
    expect(events.map((e) => e.type)).toEqual(['issued', 'rotated', 'refresh_refused'])
    // A proof made now, with the rotated-away token, is a presentation by the key holder: reuse.
    const fresh = Math.floor(clock.now() / 1000)
    expect(await engine.refresh(login.refreshToken, { dpop: { jkt: mine, iat: fresh } })).toMatchObject({
      code: 'ERR_REFRESH_TOKEN_REUSED',
    })
    expect((await store.get(login.familyId))?.status).toBe('revoked')
  })

  it('inside the grace window the replayed proof gets the bound successor, and the current token still rotates', async () => {
    const { engine, clock } = createTestEngine({ dpop: 'allowed', policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice', { dpop: { jkt: mine } })
    const iat = Math.floor(clock.now() / 1000)
    const first = await engine.refresh(login.refreshToken, { dpop: { jkt: mine, iat } })
    clock.advance(2_000)
    const again = await engine.refresh(login.refreshToken, { dpop: { jkt: mine, iat } })
    expect(again).toMatchObject({ ok: true, type: 'replayed', pair: { tokenType: 'DPoP' } })
    expect(first.ok && again.ok && again.pair.refreshToken === first.pair.refreshToken).toBe(true)
    if (!first.ok) return
    // An old iat on the current generation is not this rule's: the current token rotates.
    expect(await engine.refresh(first.pair.refreshToken, { dpop: { jkt: mine, iat } })).toMatchObject({
      ok: true,
      type: 'rotated',
    })
  })

  it('refuses an iat that is not a number as misuse', async () => {
    const { engine } = createTestEngine({ dpop: 'allowed', policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice', { dpop: { jkt: mine } })
    await expect(
      engine.refresh(login.refreshToken, { dpop: { jkt: mine, iat: 'now' as never } }),
    ).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    })
  })
})

describe('engine dpop: inspectRefreshToken (logout, RFC 7009)', () => {
  it('finds a bound family only with its own key; without a proof or with another key, nothing is ended', async () => {
    const { engine, store, clock } = createTestEngine({ dpop: 'allowed', policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice', { dpop: { jkt: mine } })
    const refused = { ok: false, code: 'ERR_DPOP_PROOF_INVALID' }
    expect(await engine.inspectRefreshToken(login.refreshToken)).toMatchObject(refused)
    expect(await engine.inspectRefreshToken(login.refreshToken, { dpop: { jkt: thief } })).toMatchObject(refused)
    expect(await engine.inspectRefreshToken(login.refreshToken, { dpop: { jkt: mine } })).toMatchObject({
      ok: true,
      familyId: login.familyId,
    })
    // A rotated-away token without the key trips no reuse through logout either.
    await engine.refresh(login.refreshToken, { dpop: { jkt: mine } })
    clock.advance(60_000)
    expect(await engine.inspectRefreshToken(login.refreshToken)).toMatchObject(refused)
    expect((await store.get(login.familyId))?.status).toBe('active')
  })
})

describe('engine dpop: the mode', () => {
  it("'off' (the default) refuses a proof given to issue or refresh as misuse; 'required' refuses a login without one", async () => {
    const off = createTestEngine().engine
    expect(off.dpop).toBe('off')
    await expect(off.issue('alice', { dpop: { jkt: mine } })).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    const login = await off.issue('alice')
    await expect(off.refresh(login.refreshToken, { dpop: { jkt: mine } })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    })
    const required = createTestEngine({ dpop: 'required' }).engine
    await expect(required.issue('alice')).rejects.toThrow(/dpop is 'required'/)
    expect((await required.issue('alice', { dpop: { jkt: mine } })).tokenType).toBe('DPoP')
  })

  it('refuses a jkt that is not a thumbprint, and an unknown mode', async () => {
    const { engine } = createTestEngine({ dpop: 'allowed', policy: { graceBinding: 'none' } })
    await expect(engine.issue('alice', { dpop: { jkt: 'short' } })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    })
    expect(() => createTestEngine({ dpop: 'yes' as never })).toThrow(/dpop must be/)
  })
})
