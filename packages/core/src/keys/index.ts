export { type DeriveKeyRingOptions, deriveKeyRing, MIN_DERIVE_SECRET_LENGTH } from './derive.js'
export { createKeyRing, MIN_RSA_BITS, MIN_SECRET_BYTES, SIGNING_ALGORITHMS, verificationKey } from './key-ring.js'
export type {
  JWKS,
  KeyRing,
  KeyRingInput,
  RefreshKeyInput,
  SigningAlgorithm,
  SigningKey,
  SigningKeyInput,
} from './types.js'
