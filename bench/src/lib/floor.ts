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
      // DER, converted from the JWS's r||s in JS: node:crypto's `dsaEncoding: 'ieee-p1363'` path
      // is markedly slower here (about 1.4x on verify, 2x on sign), so the floor does not use it.
      const publicKey = key.publicKey as KeyObject
      return (input, signature) => signature.length === 64 && verify('sha256', input, publicKey, p1363ToDer(signature))
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
      const privateKey = key.privateKey as KeyObject
      return (input) => derToP1363(sign('sha256', Buffer.from(input, 'latin1'), privateKey)).toString('base64url')
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

/** An ECDSA P-256 signature as JWS carries it (r || s, 32 bytes each) to DER: SEQUENCE { INTEGER r, INTEGER s }. */
export function p1363ToDer(signature: Buffer): Buffer {
  const r = derInteger(signature.subarray(0, 32))
  const s = derInteger(signature.subarray(32, 64))
  const der = Buffer.allocUnsafe(6 + r.length + s.length)
  der[0] = 0x30
  der[1] = 4 + r.length + s.length
  der[2] = 0x02
  der[3] = r.length
  r.copy(der, 4)
  der[4 + r.length] = 0x02
  der[5 + r.length] = s.length
  s.copy(der, 6 + r.length)
  return der
}

/** Minimal big-endian INTEGER content: leading zeros dropped, a 0x00 added when the high bit is set. */
function derInteger(bytes: Buffer): Buffer {
  let i = 0
  while (i < bytes.length - 1 && bytes[i] === 0) i++
  const trimmed = bytes.subarray(i)
  return (trimmed[0] as number) & 0x80 ? Buffer.concat([ZERO, trimmed]) : trimmed
}
const ZERO = Buffer.from([0])

/** DER ECDSA P-256 signature to r || s (32 bytes each). */
export function derToP1363(der: Buffer): Buffer {
  const rLength = der[3] as number
  const r = der.subarray(4, 4 + rLength)
  const sLength = der[5 + rLength] as number
  const s = der.subarray(6 + rLength, 6 + rLength + sLength)
  const out = Buffer.alloc(64)
  r.subarray(Math.max(0, r.length - 32)).copy(out, 32 - Math.min(32, r.length))
  s.subarray(Math.max(0, s.length - 32)).copy(out, 64 - Math.min(32, s.length))
  return out
}
