/**
 * Runs `close` once on the first SIGINT (Ctrl-C) or SIGTERM, then exits: 0 when it finished, 1
 * when it threw or took longer than `timeoutMs`. A second Ctrl-C exits at once.
 */
export function onShutdown(close: () => Promise<void>, timeoutMs = 5000): void {
  let closing = false
  const stop = (signal: NodeJS.Signals) => {
    if (closing) process.exit(130)
    closing = true
    process.stderr.write(`\n${signal}: closing the server and the store…\n`)
    const timer = setTimeout(() => {
      process.stderr.write(`still closing after ${timeoutMs} ms; exiting anyway\n`)
      process.exit(1)
    }, timeoutMs)
    timer.unref()
    close().then(
      () => {
        process.stderr.write('closed cleanly.\n')
        process.exit(0)
      },
      (error: unknown) => {
        process.stderr.write(`close failed: ${String(error)}\n`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
