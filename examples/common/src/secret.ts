import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { KeyRingInput } from '@auth/core'

/**
 * The example's quick-start secret (every key is derived from it), kept in `<dataDir>/secret`
 * (mode 0600) and made on first run, so that sessions in a persistent store survive a restart.
 * `AUTH_SECRET` overrides it. Production passes real keys (see the key ring in @auth/core).
 */
export async function exampleSecret(dataDir: string): Promise<string> {
  const fromEnv = process.env.AUTH_SECRET
  if (fromEnv) return fromEnv
  const file = join(dataDir, 'secret')
  try {
    const existing = (await readFile(file, 'utf8')).trim()
    if (existing.length >= 32) return existing
  } catch {
    // first run: make one below
  }
  await mkdir(dataDir, { recursive: true })
  const secret = randomBytes(32).toString('base64url')
  await writeFile(file, `${secret}\n`, { mode: 0o600 })
  return secret
}

/**
 * Production keys, as `auth keys generate` and `auth keys secret` make them: `AUTH_SIGNING_KEY`
 * names the private key file (PEM; its kid is the file name before `.private.pem`, or
 * `AUTH_SIGNING_KID`; EdDSA unless `AUTH_SIGNING_ALG`), `AUTH_REFRESH_KEY` the refresh MAC key
 * file (base64). Null when they are not set: the quick-start secret is used.
 */
export async function exampleKeys(): Promise<{ keys: KeyRingInput } | null> {
  const signing = process.env.AUTH_SIGNING_KEY
  const refresh = process.env.AUTH_REFRESH_KEY
  if (!signing || !refresh) return null
  // Relative to where the command was typed (pnpm runs the script in the example's folder).
  const from = (path: string) => resolve(process.env.INIT_CWD ?? process.cwd(), path)
  const kid = process.env.AUTH_SIGNING_KID ?? signing.replace(/^.*\//, '').replace(/\.private\.pem$|\.pem$/, '')
  const alg = (process.env.AUTH_SIGNING_ALG ?? 'EdDSA') as 'EdDSA' | 'ES256' | 'RS256'
  return {
    keys: {
      signing: [{ kid, alg, privateKey: await readFile(from(signing), 'utf8') }],
      refresh: [{ kid: 'r1', secret: Buffer.from((await readFile(from(refresh), 'utf8')).trim(), 'base64') }],
    },
  }
}
