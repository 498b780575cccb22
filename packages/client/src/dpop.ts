// @auth/client/dpop: DPoP proofs (RFC 9449) signed by a non-extractable P-256 key that lives in
// IndexedDB, one per origin, shared by the tabs. Browsers and Web Workers only: React Native has
// neither IndexedDB nor non-extractable Web Crypto keys.

/** What the client needs to sign DPoP proofs. Give one to `createAuthClient({ dpop })` (bearer transport). */
export interface DpopSigner {
  /** A proof for `method` and `url` (query and fragment dropped); with `accessToken`, its `ath`. */
  proof(method: string, url: string, accessToken?: string): Promise<string>
  /**
   * Remembers a server nonce (`DPoP-Nonce`) for the next proofs to the origin of `url` (each
   * server has its own nonces; without `url`, for every origin that has none of its own).
   */
  nonce(value: string, url?: string): void
  /** A new key (at each login): the old one is deleted. */
  renew(): Promise<void>
  /** Deletes the key (at logout). */
  clear(): Promise<void>
}

const STORE = 'keys'
const CURRENT = 'current'

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
const text = (value: unknown) => b64url(new TextEncoder().encode(JSON.stringify(value)))

/** One request to the key store, as a promise. */
function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

/**
 * Creates a {@link DpopSigner} over the IndexedDB database `database` (default
 * `'auth-client-dpop'`). The key pair is made with `extractable: false`, so no script, this one
 * included, can read the private key out (`crypto.subtle.exportKey` fails); IndexedDB keeps the
 * key object itself across reloads. A missing key is created in one transaction that keeps any key
 * another tab stored first, so concurrent tabs end up with one key.
 */
export function createDpopSigner(options: { readonly database?: string } = {}): DpopSigner {
  let db: Promise<IDBDatabase> | null = null
  let held: Promise<CryptoKeyPair> | null = null
  const nonces = new Map<string, string>()
  const originOf = (url: string) => new URL(url, (globalThis as { location?: { href: string } }).location?.href).origin
  const open = () => {
    db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(options.database ?? 'auth-client-dpop', 1)
      request.onupgradeneeded = () => request.result.createObjectStore(STORE)
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })
    return db
  }
  const store = async (mode: IDBTransactionMode) => (await open()).transaction(STORE, mode).objectStore(STORE)
  const generate = () =>
    crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ]) as Promise<CryptoKeyPair>

  const keys = () => {
    held ??= (async () => {
      const found = (await done((await store('readonly')).get(CURRENT))) as CryptoKeyPair | undefined
      if (found !== undefined) return found
      const made = await generate()
      // Keep what another tab stored in the meantime; else store ours: one readwrite transaction.
      const objects = await store('readwrite')
      const raced = (await done(objects.get(CURRENT))) as CryptoKeyPair | undefined
      if (raced !== undefined) return raced
      await done(objects.put(made, CURRENT))
      return made
    })()
    held.catch(() => {
      held = null
    })
    return held
  }

  return {
    async proof(method, url, accessToken) {
      const { privateKey, publicKey } = await keys()
      const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', publicKey)
      const target = new URL(url, (globalThis as { location?: { href: string } }).location?.href)
      const nonce = nonces.get(target.origin) ?? nonces.get('')
      const claims: Record<string, unknown> = {
        jti: crypto.randomUUID(),
        htm: method.toUpperCase(),
        htu: `${target.origin}${target.pathname}`,
        iat: Math.floor(Date.now() / 1000),
      }
      if (accessToken !== undefined) {
        claims.ath = b64url(
          new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken))),
        )
      }
      if (nonce !== undefined) claims.nonce = nonce
      const input = `${text({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } })}.${text(claims)}`
      const signature = await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        privateKey,
        new TextEncoder().encode(input),
      )
      return `${input}.${b64url(new Uint8Array(signature))}`
    },
    nonce(value, url) {
      nonces.set(url === undefined ? '' : originOf(url), value)
    },
    async renew() {
      const made = await generate()
      await done((await store('readwrite')).put(made, CURRENT))
      held = Promise.resolve(made)
    },
    async clear() {
      held = null
      await done((await store('readwrite')).delete(CURRENT))
    },
  }
}
