// The peer of the HTTP section: node-oidc-provider 9 (the npm registry's oidc-provider), one
// process, on the same Redis as ours, with rotating refresh tokens. Its refresh tokens are minted
// through its own models (a Grant and a RefreshToken saved by its adapter), never through
// interactive logins. Forked by sections/http.ts with the same IPC as http/server.ts:
//   argv: --format opaque|jwt   opaque: its default access tokens; jwt: JWT access tokens for a
//   resource indicator, signed with EdDSA (what ours issue).
// Its configuration is this file; the Redis adapter below follows the project's own example
// adapter (a hash per consumable model, so `consume` is one HSET).
import { generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Redis } from 'ioredis'
import Provider from 'oidc-provider'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const format = arg('format') === 'jwt' ? 'jwt' : 'opaque'
const redis = new Redis(process.env.REDIS_URL as string, { maxRetriesPerRequest: 1 })
const PREFIX = `oidc-bench-${process.pid}`
const CONSUMABLE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest'])
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
])

class RedisAdapter {
  constructor(private readonly name: string) {}
  key(id: string) {
    return `${PREFIX}:${this.name}:${id}`
  }
  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
    const key = this.key(id)
    const multi = redis.multi()
    if (CONSUMABLE.has(this.name)) multi.hset(key, { payload: JSON.stringify(payload) })
    else multi.set(key, JSON.stringify(payload))
    if (expiresIn) multi.expire(key, expiresIn)
    if (GRANTABLE.has(this.name) && typeof payload.grantId === 'string') {
      const grantKey = `${PREFIX}:grant:${payload.grantId}`
      multi.rpush(grantKey, key)
      if (expiresIn) multi.expire(grantKey, expiresIn)
    }
    await multi.exec()
  }
  async find(id: string) {
    const key = this.key(id)
    if (CONSUMABLE.has(this.name)) {
      const data = await redis.hgetall(key)
      if (!data.payload) return undefined
      return { ...JSON.parse(data.payload), ...(data.consumed ? { consumed: true } : {}) }
    }
    const data = await redis.get(key)
    return data ? JSON.parse(data) : undefined
  }
  async findByUid() {
    return undefined
  }
  async findByUserCode() {
    return undefined
  }
  async consume(id: string) {
    await redis.hset(this.key(id), 'consumed', Math.floor(Date.now() / 1000))
  }
  async destroy(id: string) {
    await redis.del(this.key(id))
  }
  async revokeByGrantId(grantId: string) {
    const grantKey = `${PREFIX}:grant:${grantId}`
    const tokens = await redis.lrange(grantKey, 0, -1)
    const multi = redis.multi()
    for (const token of tokens) multi.del(token)
    multi.del(grantKey)
    await multi.exec()
  }
}

const RESOURCE = 'urn:bench:api'
const ed25519 = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })
const provider = new Provider('http://127.0.0.1', {
  adapter: RedisAdapter,
  clients: [
    {
      client_id: 'bench',
      token_endpoint_auth_method: 'none',
      grant_types: ['refresh_token', 'authorization_code'],
      redirect_uris: ['http://127.0.0.1/cb'],
      response_types: ['code'],
      id_token_signed_response_alg: 'EdDSA',
    },
  ],
  jwks: { keys: [{ ...ed25519, kid: 'bench-ed25519', alg: 'EdDSA', use: 'sig' }] },
  enabledJWA: { idTokenSigningAlgValues: ['EdDSA'] },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  rotateRefreshToken: true,
  scopes: ['api', 'offline_access'],
  issueRefreshToken: () => true,
  findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => (format === 'jwt' ? RESOURCE : undefined),
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'api', accessTokenFormat: 'jwt', jwt: { sign: { alg: 'EdDSA' } } }),
    },
  },
  ttl: { AccessToken: 600, RefreshToken: 7 * 86_400, Grant: 7 * 86_400 },
})
provider.on('server_error', (_ctx: unknown, error: Error) => console.error('[oidc-provider] server_error', error))

const server = createServer(provider.callback())
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const send = (message: unknown) => process.send?.(message)
send({ type: 'ready', url })

/** Mints `n` refresh tokens through the provider's own models: a Grant, then a RefreshToken. */
async function mint(n: number): Promise<string[]> {
  const client = await provider.Client.find('bench')
  if (client === undefined) throw new Error('peer: the bench client is not configured')
  const one = async (i: number) => {
    const accountId = `peer-${i}`
    const grant = new provider.Grant({ accountId, clientId: 'bench' })
    if (format === 'jwt') grant.addResourceScope(RESOURCE, 'api')
    else grant.addOIDCScope('api')
    const grantId = await grant.save()
    const refresh = new provider.RefreshToken({
      accountId,
      grantId,
      client,
      scope: 'api',
      gty: 'authorization_code',
      authTime: Math.floor(Date.now() / 1000),
      ...(format === 'jwt' ? { resource: RESOURCE } : {}),
    })
    return refresh.save()
  }
  const tokens: string[] = []
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, (_, j) => one(i + j))
    tokens.push(...(await Promise.all(batch)))
  }
  return tokens
}

process.on('message', async (message: { type: string; n?: number; file?: string }) => {
  try {
    if (message.type === 'issue') {
      const tokens = await mint(message.n ?? 0)
      writeFileSync(message.file as string, `${tokens.join('\n')}\n`)
      send({ type: 'issued', n: tokens.length })
    } else if (message.type === 'cpu') {
      const usage = process.cpuUsage()
      send({ type: 'cpu', micros: usage.user + usage.system })
    } else if (message.type === 'stop') {
      server.close()
      const keys = await redis.keys(`${PREFIX}:*`)
      for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000))
      await redis.quit()
      process.exit(0)
    }
  } catch (error) {
    const description = (error as { error_description?: string }).error_description
    send({ type: 'error', message: `${description ?? ''} ${String((error as Error)?.stack ?? error)}` })
  }
})
