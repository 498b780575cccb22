// @auth/core/verifier: verify our access tokens in another service, without the engine or a store.
export type { VerifyAccessOptions } from './checks.js'
export { createVerifier, type Verifier, type VerifierOptions } from './verifier.js'
