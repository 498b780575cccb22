import { CompactSign, compactVerify, importJWK } from 'jose'
import { AuthError } from '../../errors/index.js'
import type { SigningKey } from '../../keys/types.js'
import { ACCESS_TOKEN_TYP } from './header.js'

/**
 * The portable path (jose over Web Crypto), for runtimes without node:crypto: keys are imported
 * once per key and use, then reused.
 */
export interface JoseJws {
  /** Signs `payload` with `key` under the header `{ alg, typ: 'at+jwt', kid }`. */
  sign(key: SigningKey, payload: Uint8Array): Promise<string>
  /** The payload bytes of `token` if its signature verifies under `key`; rejects otherwise. */
  verify(key: SigningKey, token: string): Promise<Uint8Array>
}

/** Builds the jose path with its own cache of imported keys. */
export function createJoseJws(): JoseJws {
  const imported = new Map<string, Promise<CryptoKey | Uint8Array>>()
  function joseKey(key: SigningKey, use: 'sign' | 'verify'): Promise<CryptoKey | Uint8Array> {
    const id = `${use}:${key.kid}`
    let found = imported.get(id)
    if (!found) {
      if (key.secret) found = Promise.resolve(key.secret)
      else {
        const jwk = use === 'sign' ? key.privateJwk : key.publicJwk
        if (!jwk) return Promise.reject(new AuthError('ERR_CONFIG_INVALID', `key "${key.kid}" cannot ${use}`))
        const { use: _use, key_ops: _ops, ...bare } = jwk
        found = importJWK(bare, key.alg) as Promise<CryptoKey | Uint8Array>
      }
      imported.set(id, found)
    }
    return found
  }
  return {
    async sign(key, payload) {
      return new CompactSign(payload)
        .setProtectedHeader({ alg: key.alg, typ: ACCESS_TOKEN_TYP, kid: key.kid })
        .sign(await joseKey(key, 'sign'))
    },
    async verify(key, token) {
      const verified = await compactVerify(token, await joseKey(key, 'verify'), { algorithms: [key.alg] })
      return verified.payload
    },
  }
}
