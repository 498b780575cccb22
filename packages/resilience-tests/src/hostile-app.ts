import { createHmac, createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto'
import type { AdapterUnderTest, RunningApp } from '@auth/adapter-conformance'
import { createEngine, type Engine, type FamilyRecord } from '@auth/core'
import { createAuthHttp, type Transport } from '@auth/core/http'
import { createMemoryStore, type MemoryStore } from '@auth/storage-memory'

export const ISSUER = 'https://issuer.hostile.test'
export const AUDIENCE = 'https://api.hostile.test'

/** Keys the hostile apps run on: RS256 active (so HS/RS confusion is a real attack), EdDSA also verifying. */
export interface HostileKeys {
  readonly rsa: { readonly privateKey: KeyObject; readonly publicKey: KeyObject }
  readonly ed: { readonly privateKey: KeyObject; readonly publicKey: KeyObject }
  readonly refreshSecret: Uint8Array
}

export function makeKeys(): HostileKeys {
  return {
    rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ed: generateKeyPairSync('ed25519'),
    refreshSecret: new Uint8Array(randomBytes(32)),
  }
}

/** One adapter's app on a real socket, with the store in reach so tests can compare families before and after. */
export interface HostileApp {
  readonly adapter: string
  readonly transport: Transport
  readonly url: string
  readonly port: number
  readonly engine: Engine
  readonly store: MemoryStore
  readonly keys: HostileKeys
  close(): Promise<void>
}

export async function startHostileApp(
  adapter: AdapterUnderTest,
  transport: Transport,
  keys: HostileKeys,
): Promise<HostileApp> {
  const store = createMemoryStore()
  const engine = createEngine({
    store,
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: {
      signing: [
        { kid: 'rs-1', alg: 'RS256', privateKey: keys.rsa.privateKey, publicKey: keys.rsa.publicKey },
        { kid: 'ed-1', alg: 'EdDSA', privateKey: keys.ed.privateKey, publicKey: keys.ed.publicKey },
      ],
      refresh: [{ kid: 'r1', secret: keys.refreshSecret }],
    },
    policy: { reuseGrace: '10s', graceBinding: 'user_agent' },
  })
  const http = createAuthHttp({
    engine,
    prefix: '/auth',
    transport,
    ...(transport === 'cookie' ? { cookies: { secure: false, dangerouslyAllowInsecureCookies: true } } : {}),
  })
  const app: RunningApp = await adapter.start(http)
  return {
    adapter: adapter.name,
    transport,
    url: app.url,
    port: Number(new URL(app.url).port),
    engine,
    store,
    keys,
    close: () => app.close(),
  }
}

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** A compact JWS with any header and payload, signed by `signer` over the signing input (or not at all). */
export function jws(
  header: Record<string, unknown>,
  payload: Record<string, unknown> | string,
  signer: ((input: Buffer) => Buffer) | null,
): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${signer === null ? '' : signer(Buffer.from(input)).toString('base64url')}`
}

export const rs256 = (key: KeyObject) => (input: Buffer) => sign('sha256', input, key)
export const eddsa = (key: KeyObject) => (input: Buffer) => sign(null, input, key)
export const hs256 = (secret: Buffer | string) => (input: Buffer) => createHmac('sha256', secret).update(input).digest()

/** Claims that would pass every check, valid for the next 10 minutes. */
export function goodClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'mallory',
    iat: now,
    exp: now + 600,
    jti: randomBytes(12).toString('base64url'),
    sid: randomBytes(16).toString('base64url'),
    auth_time: now,
    ...overrides,
  }
}

/** A private key the attacker made up. */
export const attackerRsa = () =>
  createPrivateKey(
    generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
  )

/** The stored record of a family (frozen copies, so a later change cannot alias it). */
export async function stored(app: HostileApp, familyId: string): Promise<FamilyRecord | null> {
  return app.store.get(familyId)
}
