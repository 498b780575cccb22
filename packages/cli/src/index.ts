// @auth/cli as a module: the same commands as the `auth` binary, for scripts that embed them.

export { EXIT, type ExitCode, type Io } from './io.js'
export { main } from './main.js'
