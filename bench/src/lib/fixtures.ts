import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto'
import type { KeyRingInput, SigningAlgorithm } from '@auth/core'

export const ISSUER = 'https://bench.example'
export const AUDIENCE = 'bench-api'

/** The three algorithms the targets name. */
export const ALGORITHMS = ['HS256', 'ES256', 'EdDSA'] as const satisfies readonly SigningAlgorithm[]
export type BenchAlgorithm = (typeof ALGORITHMS)[number]

/** One signing key in every shape the peers want: KeyObjects, PEM, raw secret. */
export interface BenchKey {
  readonly alg: BenchAlgorithm
  readonly kid: string
  readonly secret?: Buffer
  readonly privateKey?: KeyObject
  readonly publicKey?: KeyObject
  readonly privatePem?: string
  readonly publicPem?: string
}

export function benchKey(alg: BenchAlgorithm): BenchKey {
  const kid = `bench-${alg.toLowerCase()}`
  switch (alg) {
    case 'HS256':
      return { alg, kid, secret: randomBytes(32) }
    case 'ES256':
    case 'EdDSA': {
      const { privateKey, publicKey } =
        alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')
      return {
        alg,
        kid,
        privateKey,
        publicKey,
        privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      }
    }
    default: {
      const _never: never = alg
      throw new Error(`unknown alg ${String(_never)}`)
    }
  }
}

/** A key ring input for the engine with `key` as the signing key. */
export function keyRingInput(key: BenchKey): KeyRingInput {
  const signing = key.secret
    ? { kid: key.kid, alg: key.alg, secret: new Uint8Array(key.secret) }
    : { kid: key.kid, alg: key.alg, privateKey: key.privateKey as KeyObject, publicKey: key.publicKey as KeyObject }
  return { signing: [signing], refresh: [{ kid: 'r1', secret: new Uint8Array(randomBytes(32)) }] }
}
