import { AuthError } from './index.js'

/**
 * Refuses option names the library does not know, so a typo fails when the app starts instead of
 * being ignored: `createEngine({ accessTTL: '5m' })` would otherwise run with the default
 * lifetime. The message names the nearest valid name: a case-insensitive match, a known alias from
 * another library (`aliases`, e.g. `{ expiresIn: 'accessTtl' }`), a valid name it begins, or a name at
 * most two edits away.
 * Throws `AuthError('ERR_CONFIG_INVALID')`; does nothing for a non-object (the caller checks that).
 *
 * @example
 * ```ts
 * assertKnownOptions('createRedisStore', options, ['client', 'url', 'prefix', 'timeoutMs'])
 * ```
 */
export function assertKnownOptions(
  where: string,
  options: unknown,
  known: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): void {
  if (options === null || typeof options !== 'object') return
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue
    const hint = nearest(name, known, aliases)
    const valid = `valid options: ${known.join(', ')}`
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      `${where}: unknown option ${JSON.stringify(name)}; ${hint === undefined ? valid : `did you mean ${hint}? (${valid})`}`,
    )
  }
}

function nearest(
  name: string,
  known: readonly string[],
  aliases: Readonly<Record<string, string>>,
): string | undefined {
  const lower = name.toLowerCase()
  const sameCase = known.find((k) => k.toLowerCase() === lower)
  if (sameCase !== undefined) return sameCase
  const alias = Object.hasOwn(aliases, name) ? aliases[name] : undefined
  if (alias !== undefined) return alias
  const prefixed = known.find((k) => k.toLowerCase().startsWith(lower) && lower.length >= 4)
  if (prefixed !== undefined) return prefixed
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of known) {
    const d = distance(lower, candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

/** Levenshtein distance (option names are short). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      )
    }
    previous = current
  }
  return previous[b.length] as number
}
