// auth token inspect: what is in a token, and, with keys, whether it verifies.
import { createEngine, type FamilyStore } from '@auth/core'
import { parseRefreshToken } from '@auth/core/tokens'
import { createVerifier } from '@auth/core/verifier'
import { decodeJwt, decodeProtectedHeader, type JWK } from 'jose'
import { type Answer, answer, EXIT, type Io, inWords, readFile, readSecret, UsageError, when } from './io.js'
import { openStoreUrl, storeUrl, type Target } from './store.js'

export interface InspectOptions extends Target {
  readonly token: string
  readonly jwks?: string | undefined
  readonly secret?: string | undefined
  readonly issuer?: string | undefined
  readonly audience?: string | undefined
}

/** The engine verifies nothing through this store: a secret alone gives the keys. */
const NO_STORE: FamilyStore = {
  create: () => Promise.reject(new Error('auth token inspect uses no store')),
  get: () => Promise.reject(new Error('auth token inspect uses no store')),
  compareAndSet: () => Promise.reject(new Error('auth token inspect uses no store')),
  listBySubject: () => Promise.reject(new Error('auth token inspect uses no store')),
}

/** `auth token inspect TOKEN`: an access token's header, claims and times; a refresh token's parts (never its MAC). */
export async function inspect(io: Io, options: InspectOptions): Promise<Answer> {
  const token = await readSecret(io, options.token, 'token')
  const parsed = parseRefreshToken(token)
  if (parsed.ok) return inspectRefresh(io, options, parsed.token)
  if (token.split('.').length === 3) return inspectAccess(io, options, token)
  return answer(
    { kind: 'unknown', valid: false, code: 'ERR_TOKEN_MALFORMED' },
    'this is neither an access token (a JWT) nor a refresh token of this library',
    EXIT.refused,
  )
}

async function inspectAccess(io: Io, options: InspectOptions, token: string): Promise<Answer> {
  let header: Record<string, unknown>
  let claims: Record<string, unknown>
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>
    claims = decodeJwt(token) as Record<string, unknown>
  } catch {
    return answer(
      { kind: 'access', valid: false, code: 'ERR_ACCESS_TOKEN_MALFORMED' },
      'a JWT that cannot be read',
      EXIT.refused,
    )
  }
  const now = Date.now()
  const times = Object.fromEntries(
    ['iat', 'nbf', 'exp', 'auth_time'].flatMap((name) => {
      const text = when(claims[name], now)
      return text === null ? [] : [[name, text]]
    }),
  )
  const lines = [
    'access token',
    `  header: ${JSON.stringify(header)}`,
    `  claims: ${JSON.stringify(claims)}`,
    ...Object.entries(times).map(([name, text]) => `  ${name.padEnd(9)} ${text}`),
  ]
  const verification = await verifyAccess(io, options, token, claims)
  if (verification === null) {
    lines.push('  not verified (give --jwks URL|FILE or --secret to check the signature)')
    return answer({ kind: 'access', header, claims, times, verified: null }, lines.join('\n'))
  }
  lines.push(
    verification.ok
      ? `  verified: yes${verification.note === undefined ? '' : ` (${verification.note})`}`
      : `  verified: no, ${verification.code}: ${verification.message}`,
  )
  return answer(
    { kind: 'access', header, claims, times, verified: verification },
    lines.join('\n'),
    verification.ok ? EXIT.ok : EXIT.refused,
  )
}

type Verification =
  | { readonly ok: true; readonly note?: string }
  | { readonly ok: false; readonly code: string; readonly message: string }

async function verifyAccess(
  io: Io,
  options: InspectOptions,
  token: string,
  claims: Record<string, unknown>,
): Promise<Verification | null> {
  if (options.jwks === undefined && options.secret === undefined) return null
  // Without --issuer and --audience the token's own are used: only the signature and times count.
  const issuer = options.issuer ?? (typeof claims.iss === 'string' ? claims.iss : undefined)
  const audience = options.audience ?? (typeof claims.aud === 'string' ? claims.aud : undefined)
  if (issuer === undefined || audience === undefined) {
    throw new UsageError('give --issuer and --audience (the token names no single iss and aud)')
  }
  const note =
    options.issuer === undefined || options.audience === undefined
      ? 'issuer and audience taken from the token: only the signature and the times were checked'
      : undefined
  let result: { ok: boolean; code?: string; message?: string }
  if (options.secret !== undefined) {
    const secret = await readSecret(io, options.secret, 'secret')
    const engine = createEngine({ store: NO_STORE, issuer, audience, secret, alignClockToStore: false })
    result = await engine.verifyAccess(token)
  } else {
    const source = options.jwks as string
    const verifier = /^https?:\/\//.test(source)
      ? createVerifier({ issuer, audience, jwksUri: source })
      : createVerifier({ issuer, audience, jwks: JSON.parse(readFile(source, 'jwks')) as { keys: JWK[] } })
    result = await verifier.verifyAccess(token)
  }
  if (result.ok) return note === undefined ? { ok: true } : { ok: true, note }
  return { ok: false, code: result.code as string, message: result.message as string }
}

async function inspectRefresh(
  io: Io,
  options: InspectOptions,
  parsed: { version: number; kid: string; familyId: string; generation: number },
): Promise<Answer> {
  const facts = {
    kind: 'refresh',
    version: parsed.version,
    kid: parsed.kid,
    familyId: parsed.familyId,
    generation: parsed.generation,
  }
  const lines = [
    'refresh token',
    `  format     rt${parsed.version}`,
    `  key id     ${parsed.kid}`,
    `  family     ${parsed.familyId}`,
    `  generation ${parsed.generation}`,
  ]
  const url = storeUrl(io, options)
  if (url === undefined) {
    lines.push("  (give --store URL or AUTH_STORE_URL for the family's state; the MAC is never shown)")
    return answer({ ...facts, family: null }, lines.join('\n'))
  }
  const opened = await openStoreUrl(url, options)
  try {
    const family = await opened.store.get(parsed.familyId)
    if (family === null) {
      lines.push('  state      no such family in the store (expired and dropped, or never issued here)')
      return answer({ ...facts, family: null }, lines.join('\n'), EXIT.refused)
    }
    const now = Date.now()
    const current = parsed.generation === family.generation
    lines.push(
      `  state      ${family.status}${family.revocation === null ? '' : ` (${family.revocation.reason}, ${inWords(family.revocation.at, now)})`}`,
      `  subject    ${family.subject}`,
      `  client     ${family.clientId ?? '(none)'}`,
      `  generation ${current ? 'current' : parsed.generation < family.generation ? `retired: the family is at ${family.generation}` : `never issued: the family is at ${family.generation}`}`,
      `  last used  ${new Date(family.lastUsedAt).toISOString()} (${inWords(family.lastUsedAt, now)})`,
      `  expires    ${new Date(Math.min(family.expiresAt, family.idleExpiresAt)).toISOString()} (${inWords(Math.min(family.expiresAt, family.idleExpiresAt), now)})`,
      `  dpop       ${family.jkt === null ? 'not bound' : `bound to jkt ${family.jkt}`}`,
    )
    return answer(
      {
        ...facts,
        family: {
          status: family.status,
          revocation: family.revocation,
          subject: family.subject,
          clientId: family.clientId,
          generation: family.generation,
          lastUsedAt: family.lastUsedAt,
          expiresAt: family.expiresAt,
          idleExpiresAt: family.idleExpiresAt,
          jkt: family.jkt,
        },
      },
      lines.join('\n'),
    )
  } finally {
    await opened.close()
  }
}
