export type { JWKS, KeyRingInput, RefreshKeyInput, SigningAlgorithm, SigningKeyInput } from './types.js'
