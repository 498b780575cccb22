// DPoP in the http layer: the request's public URL for `htu`, the proof of a login, a refresh or
// a guarded request checked once (verifyDpopProof) plus the per-instance replay cache, and the
// `WWW-Authenticate: DPoP` answer of a guard (RFC 9449 §7.1).
import { type Failure, failure } from '../errors/index.js'
import {
  DPOP_ALGORITHMS,
  type DpopNonces,
  type DpopProofErrorCode,
  type DpopReplayCache,
  verifyDpopProof,
} from '../tokens/dpop.js'
import { quoteHeaderValue } from './errors-to-http.js'
import { failureResponse, jsonResponse } from './response.js'
import type { AuthRequest, AuthResponse } from './types.js'

/** DPoP as the http layer runs it (null in the context when the engine's `dpop` is `'off'`). */
export interface HttpDpop {
  /** Proof ids seen by this instance, inside their window. */
  readonly replay: DpopReplayCache
  /** `AuthHttpOptions.publicUrl`: the origin `htu` is built on, or null to use the request's. */
  readonly publicUrl: string | null
  /** Server nonces (the engine's; a resource server's from `dpopNonceSecret`), or null without a key. */
  readonly nonces: DpopNonces | null
  /** `AuthHttpOptions.requireDpopNonce`: every proof must carry a current server nonce. */
  readonly requireNonce: boolean
}

/**
 * The request's public URL, as `htu` names it: `publicUrl` and the path, else the protocol and
 * host name the framework resolved (its trust-proxy rules, never raw `X-Forwarded-*` here) with
 * the `Host` header's port. Null when the adapter does not know them.
 */
export function publicRequestUrl(dpop: HttpDpop, request: AuthRequest): string | null {
  const path = request.path.split('?', 1)[0] ?? '/'
  if (dpop.publicUrl !== null) return `${dpop.publicUrl}${path}`
  if (request.protocol === undefined || request.hostname === undefined || request.hostname === '') return null
  const host = request.headers.get('host') ?? ''
  const port = host.toLowerCase().startsWith(request.hostname.toLowerCase()) ? /:(\d{1,5})$/.exec(host)?.[1] : undefined
  return `${request.protocol}://${request.hostname}${port === undefined ? '' : `:${port}`}${path}`
}

/**
 * A checked proof's key thumbprint and `iat` (seconds), undefined when the request had no
 * `DPoP` header. A refusal that asks for a nonce carries the one to use (`DPoP-Nonce`).
 */
export type RequestProof =
  | { readonly ok: true; readonly jkt: string; readonly iat: number }
  | { readonly ok: true; readonly jkt: undefined }
  | (Failure<DpopProofErrorCode> & { readonly nonce?: string })

/** Proofs already accepted, per request: a route that checks a request's proof twice (logout: the access token's guard, then a refresh token in the body) counts its `jti` once. */
const accepted = new WeakMap<AuthRequest, RequestProof>()

/**
 * Checks the request's `DPoP` header, if any: the proof itself (for `accessToken`, its `ath`
 * too), the server nonce when `requireDpopNonce` is on, then its `jti` against this instance's
 * replay cache. A full cache never forgets an id still inside its window: it asks for a nonce
 * instead (`use_dpop_nonce`), and a proof carrying a current one is then accepted without being
 * remembered, so past the cache's size a captured proof's replay window is its nonce's life
 * (30 to 60 s) rather than nothing. Without nonce keys, a full cache refuses.
 */
export async function requestProof(
  dpop: HttpDpop,
  request: AuthRequest,
  now: number,
  accessToken?: string,
): Promise<RequestProof> {
  const header = request.headers.get('dpop')
  if (header === null || header === undefined) return { ok: true, jkt: undefined }
  // Already accepted for this request (with its `ath`, if it was for an access token).
  const earlier = accepted.get(request)
  if (earlier !== undefined && accessToken === undefined) return earlier
  const url = publicRequestUrl(dpop, request)
  if (url === null) {
    return failure('ERR_DPOP_PROOF_INVALID', 'DPoP proof: this server cannot tell its public URL (set publicUrl)')
  }
  const proof = await verifyDpopProof(
    header,
    accessToken === undefined ? { method: request.method, url } : { method: request.method, url, accessToken },
    { now },
  )
  if (!proof.ok) return proof
  const nonced = dpop.nonces !== null && proof.nonce !== undefined && (await dpop.nonces.accepts(proof.nonce, now))
  if (dpop.requireNonce && !nonced) return nonceRequired(dpop, now, 'this server requires its nonce (DPoP-Nonce)')
  const seen = dpop.replay.check(proof.jkt, proof.jti, now)
  if (seen === 'replayed') return failure('ERR_DPOP_PROOF_INVALID', 'DPoP proof: this proof was already used (jti)')
  if (seen === 'full' && !nonced) {
    if (dpop.nonces !== null) return nonceRequired(dpop, now, 'too many recent proofs: sign this one with the nonce')
    return failure('ERR_DPOP_PROOF_INVALID', 'DPoP proof: too many recent proofs to check for replay; retry shortly')
  }
  const result = { ok: true, jkt: proof.jkt, iat: proof.iat } as const
  accepted.set(request, result)
  return result
}

async function nonceRequired(dpop: HttpDpop, now: number, why: string): Promise<RequestProof> {
  const nonce = await (dpop.nonces as DpopNonces).current(now)
  return { ...failure('ERR_DPOP_NONCE_REQUIRED', `DPoP proof: ${why}`), nonce }
}

/** A token route's refusal of a proof: 400 `invalid_dpop_proof`, or `use_dpop_nonce` with the `DPoP-Nonce` to use. */
export function proofFailureResponse(refused: Exclude<RequestProof, { ok: true }>, realm: string): AuthResponse {
  return failureResponse(refused.code, refused.message, {
    realm,
    ...(refused.nonce === undefined ? {} : { headers: { 'dpop-nonce': refused.nonce } }),
  })
}

/** The `DPoP-Nonce` header a successful DPoP answer carries when nonces are required: the client's next proofs need it. */
export async function freshNonce(dpop: HttpDpop | null, now: number): Promise<Record<string, string>> {
  if (dpop === null || !dpop.requireNonce || dpop.nonces === null) return {}
  return { 'dpop-nonce': await dpop.nonces.current(now) }
}

/** A guard's refusal of a DPoP request: 401 with `WWW-Authenticate: DPoP` (RFC 9449 §7.1), and the nonce to use when it asks for one. */
export function dpopChallenge(
  error: 'invalid_dpop_proof' | 'invalid_token' | 'use_dpop_nonce',
  code: string,
  message: string,
  nonce?: string,
): AuthResponse {
  return jsonResponse(
    401,
    { error, error_description: message, code },
    {
      headers: {
        'www-authenticate': `DPoP algs="${DPOP_ALGORITHMS.join(' ')}", error="${error}", error_description=${quoteHeaderValue(message)}`,
        ...(nonce === undefined ? {} : { 'dpop-nonce': nonce }),
      },
    },
  )
}
