// The `auth` command line: parse, dispatch, print, exit. See docs/cli.md.
import { parseArgs } from 'node:util'
import { isAuthError } from '@auth/core'
import { type Answer, EXIT, type ExitCode, type Io, UsageError } from './io.js'
import { generate, secret } from './keys.js'
import { check, list, migrate, revoke } from './sessions.js'
import { inspect } from './token.js'

const TARGET = {
  store: { type: 'string' },
  config: { type: 'string' },
  table: { type: 'string' },
  prefix: { type: 'string' },
} as const

/** The store options every store command takes. */
const target = (v: Record<string, string | boolean | undefined>) => ({
  store: v.store as string | undefined,
  config: v.config as string | undefined,
  table: v.table as string | undefined,
  prefix: v.prefix as string | undefined,
})

interface Command {
  readonly usage: string
  readonly help: string
  readonly options: NonNullable<Parameters<typeof parseArgs>[0]>['options']
  readonly positionals?: number
  run(io: Io, values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<Answer> | Answer
}

const COMMANDS: Record<string, Command> = {
  'keys generate': {
    usage:
      'auth keys generate [--alg EdDSA|ES256|RS256] [--kid K] [--format pem|jwk] [--out FILE|-] [--jwks-out FILE] [--force]',
    help: 'Makes an access-token signing key pair: the private key to --out (default <kid>.private.pem, mode 0600; - prints it) and the public JWKS to --jwks-out (default <kid>.jwks.json). Refuses to overwrite a file without --force.',
    options: {
      alg: { type: 'string' },
      kid: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'jwks-out': { type: 'string' },
      force: { type: 'boolean' },
    },
    run: (io, v) =>
      generate(io, {
        alg: v.alg as string | undefined,
        kid: v.kid as string | undefined,
        format: v.format as string | undefined,
        out: v.out as string | undefined,
        jwksOut: v['jwks-out'] as string | undefined,
        force: v.force === true,
      }),
  },
  'keys secret': {
    usage: 'auth keys secret [--encoding base64|base64url|hex] [--out FILE] [--force]',
    help: "Makes 32 random bytes: a refresh MAC key, or the quick start's secret. Printed, or written to --out with mode 0600.",
    options: { encoding: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } },
    run: (io, v) =>
      secret(io, {
        encoding: v.encoding as string | undefined,
        out: v.out as string | undefined,
        force: v.force === true,
      }),
  },
  'token inspect': {
    usage:
      'auth token inspect TOKEN|-|file:PATH|env:NAME [--jwks URL|FILE | --secret VALUE|-|file:PATH|env:NAME] [--issuer ISS --audience AUD] [--store URL]',
    help: "An access token: its header, claims and times in words, and with --jwks or --secret whether it verifies (exit 1 and its code if not). A refresh token: its format, key id, family and generation (never its MAC), and with --store the family's state. Read tokens and secrets from standard input (-), a file or the environment: on the command line they reach shell history and ps.",
    options: {
      jwks: { type: 'string' },
      secret: { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
      ...TARGET,
    },
    positionals: 1,
    run: (io, v, [token]) =>
      inspect(io, {
        token: token as string,
        jwks: v.jwks as string | undefined,
        secret: v.secret as string | undefined,
        issuer: v.issuer as string | undefined,
        audience: v.audience as string | undefined,
        ...target(v),
      }),
  },
  'sessions list': {
    usage: 'auth sessions list --subject S [--store URL [--table T | --prefix P] | --config FILE]',
    help: "The subject's live sessions (families), most recently used first, with where they were last used.",
    options: { subject: { type: 'string' }, ...TARGET },
    run: (io, v) =>
      list(io, {
        subject: v.subject as string | undefined,
        ...target(v),
      }),
  },
  'sessions revoke': {
    usage:
      'auth sessions revoke (--family F | --subject S) --feed URL [--store URL [--table T | --prefix P] | --config FILE] [--access-ttl 15m]',
    help: "Ends one session, or every session of a subject (a page of 100 at a time, with progress), through the engine, and publishes each to the revocation feed so that every node refuses its access tokens at once. The feed is required (--feed redis://… or postgres://…, or the config module's revocationFeed). --access-ttl: the app's access-token lifetime, how long the feed keeps each entry (default: the config's policy, else 24h).",
    options: {
      family: { type: 'string' },
      subject: { type: 'string' },
      feed: { type: 'string' },
      'access-ttl': { type: 'string' },
      ...TARGET,
    },
    run: (io, v) =>
      revoke(io, {
        family: v.family as string | undefined,
        subject: v.subject as string | undefined,
        feed: v.feed as string | undefined,
        accessTtl: v['access-ttl'] as string | undefined,
        ...target(v),
      }),
  },
  migrate: {
    usage: 'auth migrate [--store URL [--table T | --prefix P] | --config FILE]',
    help: "Runs the SQL store's migrations (idempotent). Redis has nothing to migrate.",
    options: { ...TARGET },
    run: (io, v) => migrate(io, target(v)),
  },
  check: {
    usage: 'auth check [--store URL [--table T | --prefix P] | --config FILE]',
    help: "The engine's start-up check: the clock is sane, the keys sign and verify, the store answers and is migrated. Exit 1 with the fix when it is not ready, 3 when the store is unreachable.",
    options: { ...TARGET },
    run: (io, v) => check(io, target(v)),
  },
}

const OVERVIEW = `auth: keys, tokens and sessions of @auth/core

${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}`)
  .join('\n')}

Every command takes --help and --json. The store: --store URL or AUTH_STORE_URL (redis://, postgres://,
mysql://, sqlite:PATH; --table or --prefix for non-default names), or --config FILE (AUTH_CONFIG)
exporting the app's engine options.
Exit codes: 0 ok, 1 refused or invalid, 2 usage, 3 store or feed unavailable. See docs/cli.md.
`

/** Runs one command line (`argv` without node and the script); returns its exit code. */
export async function main(argv: readonly string[], io: Io): Promise<ExitCode> {
  const json = argv.includes('--json')
  const args = argv.filter((a) => a !== '--json')
  const two = `${args[0] ?? ''} ${args[1] ?? ''}`
  const name = COMMANDS[two] !== undefined ? two : (args[0] ?? '')
  const command = COMMANDS[name]
  if (command === undefined) {
    if (args.length === 0 || args[0] === '--help' || args[0] === 'help') {
      io.stdout.write(OVERVIEW)
      return EXIT.ok
    }
    io.stderr.write(`auth: unknown command "${args.slice(0, 2).join(' ')}"\n\n${OVERVIEW}`)
    return EXIT.usage
  }
  const rest = args.slice(name.split(' ').length)
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n\n${command.help}\n`)
    return EXIT.ok
  }
  try {
    let parsed: ReturnType<typeof parseArgs>
    try {
      parsed = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true })
    } catch (error) {
      throw new UsageError((error as Error).message)
    }
    const wanted = command.positionals ?? 0
    if (parsed.positionals.length !== wanted) {
      throw new UsageError(
        wanted === 0
          ? `unexpected argument ${parsed.positionals[0]}`
          : 'give the token (or - to read it from standard input)',
      )
    }
    const result = await command.run(
      io,
      parsed.values as Record<string, string | boolean | undefined>,
      parsed.positionals,
    )
    if (json) io.stdout.write(`${JSON.stringify(result.json)}\n`)
    else if (result.text !== '') io.stdout.write(`${result.text}\n`)
    return result.code
  } catch (error) {
    const [code, exit] = classify(error)
    const message = error instanceof Error ? error.message : String(error)
    if (json) io.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`)
    io.stderr.write(`auth ${name}: ${message}${exit === EXIT.usage ? `\n\n${command.usage}` : ''}\n`)
    return exit
  }
}

function classify(error: unknown): [string, ExitCode] {
  if (error instanceof UsageError) return ['USAGE', EXIT.usage]
  if (isAuthError(error)) {
    if (error.code === 'ERR_STORAGE_UNAVAILABLE' || error.code === 'ERR_KEYS_UNAVAILABLE')
      return [error.code, EXIT.unavailable]
    return [error.code, error.code === 'ERR_CONFIG_INVALID' ? EXIT.refused : EXIT.refused]
  }
  // A driver's connection refusal before the store's own wrapping (a pool's first connect).
  const code = (error as NodeJS.ErrnoException)?.code
  if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'ENOTFOUND') return [code, EXIT.unavailable]
  return ['ERROR', EXIT.refused]
}
