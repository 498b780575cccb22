// Issue 11 §5: what each published tarball holds, as `npm pack` would pack it: a README and a
// LICENSE, and no test, type test or benchmark file (core used to ship its codec benchmark).
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const packagesDir = fileURLToPath(new URL('../..', import.meta.url))
const published = readdirSync(packagesDir)
  .map((dir) => ({
    dir: join(packagesDir, dir),
    manifest: JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')),
  }))
  .filter(({ manifest }) => manifest.private !== true)

/** The paths `npm pack` would put in the tarball (a dry run: nothing is written). */
function packed(dir: string): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' })
  const [result] = JSON.parse(out) as { files: { path: string }[] }[]
  return (result?.files ?? []).map((file) => file.path)
}

describe('published tarballs (npm pack --dry-run, 10 packages)', () => {
  for (const { dir, manifest } of published) {
    it(`${manifest.name}: a README and a LICENSE, and no test or benchmark file`, () => {
      const files = packed(dir)
      expect(files).toContain('README.md')
      expect(files).toContain('LICENSE')
      expect(files).toContain('package.json')
      expect(
        files.filter((path) => /\.(test|test-d|prop\.test|bench)\.(ts|js|d\.ts|js\.map|d\.ts\.map)$/.test(path)),
      ).toEqual([])
      expect(files.filter((path) => path.startsWith('test/'))).toEqual([])
    })
  }
})
