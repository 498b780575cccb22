// DPoP in the http layer: the request's public URL for `htu`, the proof of a login, a refresh or
// a guarded request checked once (verifyDpopProof) plus the per-instance replay cache, and the
// `WWW-Authenticate: DPoP` answer of a guard (RFC 9449 §7.1).
import { type Failure, failure } from '../errors/index.js'
import { DPOP_ALGORITHMS, type DpopProofErrorCode, type DpopReplayCache, verifyDpopProof } from '../tokens/dpop.js'
import { quoteHeaderValue } from './errors-to-http.js'
import { jsonResponse } from './response.js'
import type { AuthRequest, AuthResponse } from './types.js'

/** DPoP as the http layer runs it (null in the context when the engine's `dpop` is `'off'`). */
export interface HttpDpop {
  /** Proof ids seen by this instance, inside their window. */
  readonly replay: DpopReplayCache
  /** `AuthHttpOptions.publicUrl`: the origin `htu` is built on, or null to use the request's. */
  readonly publicUrl: string | null
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

/** A checked proof's key thumbprint and `iat` (seconds), undefined when the request had no `DPoP` header. */
export type RequestProof =
  | { readonly ok: true; readonly jkt: string; readonly iat: number }
  | { readonly ok: true; readonly jkt: undefined }
  | Failure<DpopProofErrorCode>

/** Proofs already accepted, per request: a route that checks a request's proof twice (logout: the access token's guard, then a refresh token in the body) counts its `jti` once. */
const accepted = new WeakMap<AuthRequest, RequestProof>()

/**
 * Checks the request's `DPoP` header, if any: the proof itself (for `accessToken`, its `ath`
 * too), then its `jti` against this instance's replay cache, which says "full" rather than
 * forget an id still inside its window.
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
  const seen = dpop.replay.check(proof.jkt, proof.jti, now)
  if (seen === 'replayed') return failure('ERR_DPOP_PROOF_INVALID', 'DPoP proof: this proof was already used (jti)')
  if (seen === 'full') {
    return failure('ERR_DPOP_PROOF_INVALID', 'DPoP proof: too many recent proofs to check for replay; retry shortly')
  }
  const result = { ok: true, jkt: proof.jkt, iat: proof.iat } as const
  accepted.set(request, result)
  return result
}

/** A guard's refusal of a DPoP request: 401 with `WWW-Authenticate: DPoP` (RFC 9449 §7.1). */
export function dpopChallenge(
  error: 'invalid_dpop_proof' | 'invalid_token',
  code: string,
  message: string,
): AuthResponse {
  return jsonResponse(
    401,
    { error, error_description: message, code },
    {
      headers: {
        'www-authenticate': `DPoP algs="${DPOP_ALGORITHMS.join(' ')}", error="${error}", error_description=${quoteHeaderValue(message)}`,
      },
    },
  )
}
