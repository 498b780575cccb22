import type { AddressInfo, Server } from 'node:net'
import type { AuthHttp } from '@auth/core/http'

/** A test app listening on 127.0.0.1 with an ephemeral port. */
export interface RunningApp {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  close(): Promise<void>
}

/**
 * A Node server already listening on 127.0.0.1 (node:http's, or @hono/node-server's, which may
 * be an HTTP/2 one), as a {@link RunningApp}: `close` also ends keep-alive connections where the
 * server can.
 */
export function runningApp(
  server: Pick<Server, 'address'> & { close(callback: (error?: Error) => void): unknown; closeAllConnections?(): void },
): RunningApp {
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections?.()
      }),
  }
}

/**
 * One adapter under test. `start` builds the same small app on the adapter's framework around
 * the given http layer and listens on an ephemeral port:
 * - `POST /login` `{ username }`: the app's own login route; calls the adapter's login helper;
 * - `GET /me`: guarded, answers `{ sub, sid, claims }`;
 * - `POST /admin`: guarded with freshness (`maxAuthAge` of {@link ADMIN_MAX_AUTH_AGE} seconds);
 * - `GET /bare`: no auth at all;
 * - the adapter's routes under `http.prefix`.
 */
export interface AdapterUnderTest {
  readonly name: string
  start(http: AuthHttp, port?: number): Promise<RunningApp>
}

/** Freshness demanded by the test apps' `POST /admin`, in seconds. */
export const ADMIN_MAX_AUTH_AGE = 300

/** Reads the username of the test apps' login body; anything else is a 400 the app itself answers. */
export function usernameOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null
  const username = (body as { username?: unknown }).username
  return typeof username === 'string' && username.length > 0 ? username : null
}
