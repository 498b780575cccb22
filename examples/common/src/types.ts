import type { Engine } from '@auth/core'
import type { Transport } from '@auth/core/http'

/** A private key and its certificate, PEM. */
export interface TlsFiles {
  readonly key: string
  readonly cert: string
}

/** What every example app's `start()` takes. */
export interface StartOptions {
  /** The engine (store, keys, policy, events): built by the caller, so tests and the demo inject their own. */
  readonly engine: Engine
  /**
   * `'cookie'` (default): the browser page, HttpOnly cookies and CSRF double-submit.
   * `'bearer'`: tokens in JSON bodies and `Authorization: Bearer` (what `pnpm demo`'s scripted client uses).
   */
  readonly transport?: Transport
  /** Serve HTTPS with this key and certificate (cookie mode needs it for `Secure` and `__Host-`). */
  readonly tls?: TlsFiles
  /** Port on 127.0.0.1. Default 0: the system picks a free one (read it from `url`). */
  readonly port?: number
}

/** A listening example app. */
export interface ExampleServer {
  /** `https://127.0.0.1:<port>` (or `http://` without TLS). */
  readonly url: string
  /** Stops accepting, ends open connections, and resolves when the server is closed. */
  close(): Promise<void>
}

/** The three example apps share this shape, so the demo and the browser test can pick any of them. */
export type StartExample = (options: StartOptions) => Promise<ExampleServer>
