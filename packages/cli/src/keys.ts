// auth keys generate | auth keys secret: the key material a production engine needs.

import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { type Answer, answer, type Io, UsageError } from './io.js'

const ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const
type Algorithm = (typeof ALGORITHMS)[number]

export interface GenerateOptions {
  readonly alg?: string | undefined
  readonly kid?: string | undefined
  readonly format?: string | undefined
  readonly out?: string | undefined
  readonly jwksOut?: string | undefined
  readonly force?: boolean | undefined
}

/** A kid that sorts by date and does not collide: `ed25519-2026-12-02-3f9a`. */
function defaultKid(alg: Algorithm): string {
  const day = new Date().toISOString().slice(0, 10)
  const name = alg === 'EdDSA' ? 'ed25519' : alg.toLowerCase()
  return `${name}-${day}-${randomBytes(2).toString('hex')}`
}

function pair(alg: Algorithm): { privateKey: KeyObject } {
  switch (alg) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519')
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    case 'RS256':
      // 3072 bits: NIST's size for keys used past 2030 (the engine accepts 2048 and up).
      return generateKeyPairSync('rsa', { modulusLength: 3072 })
  }
}

/** Writes `data` to `path` readable by its owner only; refuses to overwrite unless `force`. */
function writePrivate(path: string, data: string, force: boolean): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    writeFileSync(path, data, { mode: 0o600, flag: force ? 'w' : 'wx' })
    chmodSync(path, 0o600) // an existing file overwritten with --force keeps its old mode otherwise
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new UsageError(`${path} exists; choose another --out, or pass --force to replace it`)
    throw new UsageError(`cannot write ${path} (${code ?? 'error'})`)
  }
}

/**
 * `auth keys generate`: a signing key pair. The private key goes to `--out` (PEM or JWK, mode
 * 0600; `--out -` prints it, the only way it is printed), the public JWKS to `--jwks-out`.
 */
export function generate(io: Io, options: GenerateOptions): Answer {
  const alg = (options.alg ?? 'EdDSA') as Algorithm
  if (!ALGORITHMS.includes(alg)) throw new UsageError(`--alg must be one of ${ALGORITHMS.join(', ')}`)
  const format = options.format ?? 'pem'
  if (format !== 'pem' && format !== 'jwk') throw new UsageError('--format must be pem or jwk')
  const kid = options.kid ?? defaultKid(alg)
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(kid))
    throw new UsageError('--kid: 1 to 64 letters, digits, dots, dashes or underscores')
  const { privateKey } = pair(alg)
  const privateText =
    format === 'pem'
      ? (privateKey.export({ format: 'pem', type: 'pkcs8' }) as string)
      : `${JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }, null, 2)}\n`
  const jwks = { keys: [{ ...createPublicKey(privateKey).export({ format: 'jwk' }), kid, alg, use: 'sig' }] }
  const force = options.force === true
  const jwksPath = resolve(io.cwd, options.jwksOut ?? `${kid}.jwks.json`)
  writePrivate(jwksPath, `${JSON.stringify(jwks, null, 2)}\n`, force)
  if (options.out === '-') {
    io.stdout.write(privateText)
    return answer(null, '')
  }
  const privatePath = resolve(io.cwd, options.out ?? `${kid}.private.${format === 'pem' ? 'pem' : 'jwk.json'}`)
  writePrivate(privatePath, privateText, force)
  const read =
    format === 'pem' ? `readFileSync('${privatePath}', 'utf8')` : `JSON.parse(readFileSync('${privatePath}', 'utf8'))`
  return answer(
    { kid, alg, format, privateKey: privatePath, jwks: jwksPath },
    [
      `wrote the private key (${alg}, kid ${kid}, ${format}) to ${privatePath} (mode 0600)`,
      `wrote the public JWKS to ${jwksPath}`,
      '',
      'Give it to the engine (keep the file out of the repository):',
      `  keys: { signing: [{ kid: '${kid}', alg: '${alg}', privateKey: ${read} }], refresh: [...] }`,
      'and a refresh MAC key: auth keys secret --out refresh-key.b64',
    ].join('\n'),
  )
}

export interface SecretOptions {
  readonly encoding?: string | undefined
  readonly out?: string | undefined
  readonly force?: boolean | undefined
}

/**
 * `auth keys secret`: 32 random bytes (a refresh MAC key, or the quick start's `secret`), in
 * base64 (default), base64url or hex: every encoding the engine accepts. Printed (this command
 * is the asking), or written to `--out` with mode 0600.
 */
export function secret(io: Io, options: SecretOptions): Answer {
  const encoding = options.encoding ?? 'base64'
  if (encoding !== 'base64' && encoding !== 'base64url' && encoding !== 'hex') {
    throw new UsageError('--encoding must be base64, base64url or hex')
  }
  const value = randomBytes(32).toString(encoding)
  if (options.out === undefined) return answer({ secret: value, encoding, bytes: 32 }, value)
  const path = resolve(io.cwd, options.out)
  writePrivate(path, `${value}\n`, options.force === true)
  return answer({ path, encoding, bytes: 32 }, `wrote 32 random bytes (${encoding}) to ${path} (mode 0600)`)
}
