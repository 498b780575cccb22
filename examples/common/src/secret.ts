import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

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
