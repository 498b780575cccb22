import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { TlsFiles } from './types.js'

const run = promisify(execFile)

/**
 * A throwaway self-signed certificate for `127.0.0.1` (EC P-256, valid one day), made by the
 * `openssl` CLI at start-up (node:crypto makes keys but not X.509 certificates). It exists so the
 * examples serve HTTPS and the browser keeps the real `Secure` and `__Host-` cookies; browsers
 * warn about it (tests launch Chromium with `--ignore-certificate-errors`). Never use it for
 * anything but a local demo.
 */
export async function selfSignedCertificate(): Promise<TlsFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'auth-example-tls-'))
  try {
    const key = join(dir, 'key.pem')
    const cert = join(dir, 'cert.pem')
    // biome-ignore format: one openssl flag and its value per line
    const args = [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', key, '-out', cert,
    ]
    try {
      await run('openssl', args, { timeout: 10_000 })
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'openssl is not installed' : String(error)
      throw new Error(`could not make a self-signed certificate for the example (${reason})`)
    }
    return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
