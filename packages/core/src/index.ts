// @auth/core: the public surface. Named re-exports only; each folder's index.ts lists its own.
export * from './engine/index.js'
export * from './errors/index.js'
export * from './events/index.js'
export * from './keys/index.js'
export * from './machine/index.js'
export * from './policy/index.js'
export * from './revocation/index.js'
export * from './tokens/index.js'
