/** The adapters the HTTP benchmarks serve. */
export const ADAPTERS = ['express', 'fastify', 'hono'] as const
export type AdapterName = (typeof ADAPTERS)[number]

/** Every request of the load generator carries this user agent (the policy binds grace replays to it). */
export const BENCH_USER_AGENT = 'auth-bench/1'

/** The quick-start secret of the benchmark servers (HKDF derives an EdDSA key ring from it). */
export const SECRET = 'LPI9FnOBAzZPbnE76kaKVInYKHMVqrEX+fk3NqsHMK8='

/** What the load generator is asked to run (written as JSON to a file, passed by path). */
export interface LoadSpec {
  readonly url: string
  readonly method: 'GET' | 'POST'
  readonly path: string
  readonly headers: Record<string, string>
  /** A fixed body, or per-request bodies from `tokensFile` (one refresh token a line, each sent once). */
  readonly body?: string
  readonly tokensFile?: string
  /** `oauth-form`: RFC 6749's form with `client_id` (the peer's public client). */
  readonly bodyFormat?: 'json' | 'form' | 'oauth-form'
  /** `client_id` of the `oauth-form` body. */
  readonly clientId?: string
  readonly connections: number
  readonly warmupSec: number
  readonly durationSec: number
}

/** What the load generator reports (autocannon's figures; latencies in ms). */
export interface LoadResult {
  readonly reqPerSec: number
  readonly requests: number
  readonly seconds: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly meanMs: number
  /** Non-2xx responses plus connection errors and timeouts, measured phase only. */
  readonly errors: number
  readonly non2xx: number
  /** True when the token pool ran out before the duration did (the run was cut short). */
  readonly exhausted: boolean
  readonly tokensUsed: number
  /** CPU time the load generator spent in the measured run, in µs (user + system). */
  readonly loadCpuMicros: number
}

/** CPU spent per request in the measured run, µs, by process (what the two cores went to). */
export interface CpuPerRequest {
  readonly server: number
  readonly loadGenerator: number
  /** Redis server (INFO cpu), when the store is Redis. */
  readonly redis?: number
}
