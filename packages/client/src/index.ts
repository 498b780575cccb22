// @auth/client: the browser (and React Native) half of the refresh flow. Zero dependencies.
export {
  type AuthClient,
  type AuthClientEvent,
  type AuthClientOptions,
  type ClientSession,
  type ClientTransport,
  createAuthClient,
  type RefreshOutcome,
  type SessionStorage,
  type SignOutReason,
} from './client.js'
