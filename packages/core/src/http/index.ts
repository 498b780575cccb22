export type {
  AuthHttp,
  AuthRequest,
  AuthResponse,
  GuardOptions,
  GuardResult,
  LoginResult,
  RequestBody,
  TokenLocation,
} from './types.js'
