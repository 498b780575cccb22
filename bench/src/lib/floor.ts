import { createHmac, createSecretKey, type KeyObject, sign, timingSafeEqual, verify } from 'node:crypto'
import type { BenchKey } from './fixtures.js'

/**
 * The node:crypto floor: the least a compact-JWS verifier can do. It checks the signature and
 * `exp` and nothing else (no header, no typ, no alg pinning, no iss/aud, no claim types). No
 * library that checks more can beat it by much; the target is ours >= 0.9x this.
 */
export function floorVerifier(key: BenchKey): (token: string) => Record<string, unknown> | null {
  const check = signatureCheck(key)
  return (token) => {
    const d1 = token.indexOf('.')
    const d2 = token.lastIndexOf('.')
    const signature = Buffer.from(token.slice(d2 + 1), 'base64url')
    // latin1: the fastest string-to-bytes conversion, exact for a token's base64url characters.
    if (!check(Buffer.from(token.slice(0, d2), 'latin1'), signature)) return null
    const payload = JSON.parse(Buffer.from(token.slice(d1 + 1, d2), 'base64url').toString('utf8'))
    return payload.exp * 1000 > Date.now() ? payload : null
  }
}

/** The floor of signing: a precomputed header, JSON.stringify of the claims, one node:crypto sign. */
export function floorSigner(key: BenchKey): (claims: Record<string, unknown>) => string {
  const header = Buffer.from(JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid })).toString('base64url')
  const signer = signFunction(key)
  return (claims) => {
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
    return `${input}.${signer(input)}`
  }
}

function signatureCheck(key: BenchKey): (input: Buffer, signature: Buffer) => boolean {
  switch (key.alg) {
    case 'HS256': {
      // A KeyObject: node:crypto imports a raw Buffer secret again on every createHmac (several times slower).
      const secret = createSecretKey(key.secret as Buffer)
      return (input, signature) => {
        const mac = createHmac('sha256', secret).update(input).digest()
        return mac.length === signature.length && timingSafeEqual(mac, signature)
      }
    }
    case 'ES256': {
      const options = { key: key.publicKey as KeyObject, dsaEncoding: 'ieee-p1363' as const }
      return (input, signature) => verify('sha256', input, options, signature)
    }
    case 'EdDSA': {
      const publicKey = key.publicKey as KeyObject
      return (input, signature) => verify(null, input, publicKey, signature)
    }
    default: {
      const _never: never = key.alg
      throw new Error(`unknown alg ${String(_never)}`)
    }
  }
}

function signFunction(key: BenchKey): (input: string) => string {
  switch (key.alg) {
    case 'HS256': {
      const secret = createSecretKey(key.secret as Buffer)
      return (input) => createHmac('sha256', secret).update(input, 'latin1').digest('base64url')
    }
    case 'ES256': {
      const options = { key: key.privateKey as KeyObject, dsaEncoding: 'ieee-p1363' as const }
      return (input) => sign('sha256', Buffer.from(input, 'latin1'), options).toString('base64url')
    }
    case 'EdDSA': {
      const privateKey = key.privateKey as KeyObject
      return (input) => sign(null, Buffer.from(input, 'latin1'), privateKey).toString('base64url')
    }
    default: {
      const _never: never = key.alg
      throw new Error(`unknown alg ${String(_never)}`)
    }
  }
}
