// Issue 14's multi-process proof: one auth server (Fastify + Redis) and two resource servers
// (Express and Hono, each with only a verifier and the revocation feed), all real processes on
// 127.0.0.1. Key rotation reaches the resource servers without a restart (one JWKS fetch each),
// a retired key's tokens are refused after it retires, a logout-all is refused on both within 1 s,
// and with the auth server stopped both keep verifying from their cached keys.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { freePort, serviceUrl } from '@auth/core/testing'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { deleteRedisNamespace, type RunningProcess, startProcess, stopProcess } from './processes.js'

const AUTH = fileURLToPath(new URL('./auth-server.ts', import.meta.url))
const RESOURCE = fileURLToPath(new URL('./resource-server.ts', import.meta.url))
const url = serviceUrl('REDIS_URL', 'resource servers on Redis')

type Running = RunningProcess
const start = (script: string, env: Record<string, string>) => startProcess(script, env, script)
const stop = stopProcess

const edKey = (kid: string) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return {
    kid,
    private: { kid, alg: 'EdDSA', privateKey: privateKey.export({ format: 'jwk' }) },
    public: { kid, alg: 'EdDSA', publicKey: publicKey.export({ format: 'jwk' }) },
  }
}

describe.skipIf(!url)('resource servers that only verify, beside an auth server (real processes)', () => {
  const namespace = `rs-${randomBytes(4).toString('hex')}`
  const processes: Running[] = []
  afterAll(async () => {
    await Promise.all(processes.map(stop))
    const admin = new Redis(url as string, { maxRetriesPerRequest: 1 })
    await deleteRedisNamespace(admin, namespace)
    await admin.quit()
  })

  it('key rotation, a retired key, logout-all within 1 s, and an auth server that is down', async () => {
    const port = await freePort()
    const k1 = edKey('k1')
    const k2 = edKey('k2')
    const refresh = [{ kid: 'r1', secret: randomBytes(32).toString('base64') }]
    const authEnv = (keys: object) => ({
      AUTH_PORT: String(port),
      AUTH_KEYS: JSON.stringify(keys),
      REDIS_URL: url as string,
      NAMESPACE: namespace,
    })
    let auth = await start(AUTH, authEnv({ signing: [k1.private], activeSigningKid: 'k1', refresh }))
    processes.push(auth)
    const resourceEnv = (framework: string) => ({
      RS_FRAMEWORK: framework,
      ISSUER: auth.url,
      REDIS_URL: url as string,
      NAMESPACE: namespace,
    })
    const [rsExpress, rsHono] = await Promise.all([
      start(RESOURCE, resourceEnv('express')),
      start(RESOURCE, resourceEnv('hono')),
    ])
    processes.push(rsExpress, rsHono)
    const resources = [rsExpress, rsHono]

    const login = async (username: string) => {
      const response = await fetch(`${auth.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username }),
      })
      expect(response.status).toBe(200)
      return (await response.json()) as { access_token: string }
    }
    const me = (rs: Running, token: string) =>
      fetch(`${rs.url}/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status)
    const fetches = async (rs: Running) =>
      ((await (await fetch(`${rs.url}/stats`)).json()) as { fetches: number }).fetches

    // A token from the auth server is accepted by both.
    const first = await login('alice')
    for (const rs of resources) expect(await me(rs, first.access_token)).toBe(200)
    for (const rs of resources) expect(await fetches(rs)).toBe(1)

    // Rotation: the auth server restarts with k2 active and k1 still published until it retires.
    const k1RetiresAt = Date.now() + 4_000
    await stop(auth)
    auth = await start(
      AUTH,
      authEnv({ signing: [k2.private, { ...k1.public, retiresAt: k1RetiresAt }], activeSigningKid: 'k2', refresh }),
    )
    processes.push(auth)
    // A fast restart can land inside the resource servers' 0.5 s cooldown since their start-up
    // fetch, where an unknown kid is refused by design (a flood of kids costs one fetch per
    // cooldown): wait it out, so the new kid is what triggers the fetch.
    await new Promise((resolve) => setTimeout(resolve, 600))
    const second = await login('alice')
    for (const rs of resources) expect(await me(rs, second.access_token)).toBe(200)
    // The new kid cost one JWKS fetch on each resource server (none restarted).
    for (const rs of resources) expect(await fetches(rs)).toBe(2)
    for (const rs of resources) expect(await me(rs, first.access_token)).toBe(200)

    // k1 retires: its tokens are refused once the resource servers' key sets have aged (2 s here).
    await new Promise((resolve) => setTimeout(resolve, k1RetiresAt - Date.now() + 2_500))
    for (const rs of resources) expect(await me(rs, first.access_token)).toBe(401)
    for (const rs of resources) expect(await me(rs, second.access_token)).toBe(200)

    // Logout-all on the auth server: refused on both resource servers within 1 s.
    const started = performance.now()
    const out = await fetch(`${auth.url}/auth/logout-all`, {
      method: 'POST',
      headers: { authorization: `Bearer ${second.access_token}` },
    })
    expect(out.status).toBe(200)
    const latencies = await Promise.all(
      resources.map(async (rs) => {
        while (performance.now() - started < 5_000) {
          if ((await me(rs, second.access_token)) === 401) return performance.now() - started
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
        return Number.POSITIVE_INFINITY
      }),
    )
    console.log(
      `[resource servers] logout-all refused on Express after ${latencies[0]?.toFixed(0)} ms, on Hono after ${latencies[1]?.toFixed(0)} ms`,
    )
    for (const latency of latencies) expect(latency).toBeLessThan(1_000)

    // A flood of 275 tokens with random kids: JWKS fetches stay within one per cooldown (0.5 s).
    const forged = (kid: string) =>
      `${Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid })).toString('base64url')}.e30.${'A'.repeat(86)}`
    const before = await Promise.all(resources.map(fetches))
    const floodStarted = performance.now()
    for (const rs of resources) {
      const codes = await Promise.all(
        Array.from({ length: 275 }, () => me(rs, forged(`forged-${randomBytes(6).toString('hex')}`))),
      )
      expect(new Set(codes)).toEqual(new Set([401]))
    }
    const floodSeconds = (performance.now() - floodStarted) / 1000
    const after = await Promise.all(resources.map(fetches))
    for (const [i, count] of after.entries()) {
      expect(count - (before[i] as number)).toBeLessThanOrEqual(Math.ceil(floodSeconds / 0.5) + 1)
    }

    // The auth server stops: the resource servers keep verifying from their cached keys.
    const third = await login('bob')
    await stop(auth)
    for (const rs of resources) expect(await me(rs, third.access_token)).toBe(200)
  }, 60_000)
})
