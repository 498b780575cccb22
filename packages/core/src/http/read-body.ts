/** How much more of an oversized body is read (and dropped) before reading stops: 64 KiB, or the limit if larger. */
export const MIN_OVERSIZE_DRAIN = 64 * 1024

/**
 * Reads a request body stream, holding at most `limit` bytes; adapters hand it their
 * framework's stream (a Node `Readable`, which is async-iterable, or a Web `ReadableStream`).
 * Past the limit it resolves null at once (the caller answers 413 with `Connection: close`) and
 * reads on in the background, dropping what it reads, for at most `max(64 KiB, limit)` more
 * bytes, so a client that sent a little too much still reads the 413. Then it stops: a Web stream
 * is cancelled, a Node stream is left paused, and the server closes the connection after the 413
 * (`Connection: close`). A client declaring a 10 GB body can no longer make it read on and on.
 */
export function readLimitedBody(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array | null> {
  return collect(pull(source), limit)
}

interface Pull {
  (): Promise<IteratorResult<Uint8Array>>
  /** Stops reading for good: cancels a Web stream; a Node stream is simply no longer pulled. */
  stop(): Promise<void>
}

function pull(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): Pull {
  if ('getReader' in source && typeof source.getReader === 'function') {
    const reader = source.getReader()
    const next = () => reader.read() as Promise<IteratorResult<Uint8Array>>
    return Object.assign(next, { stop: () => reader.cancel().catch(() => undefined) })
  }
  // Driving the iterator by hand (never `break`, never `return()`) keeps a Node stream alive.
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
  return Object.assign(() => iterator.next(), { stop: async () => undefined })
}

async function collect(next: Pull, limit: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await next()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      void drain(next, Math.max(MIN_OVERSIZE_DRAIN, limit))
      return null
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/**
 * Reads and discards at most `budget` more bytes, then stops; a broken stream (client went away)
 * just ends the draining. A Web stream is cancelled; a Node stream stays paused (never destroyed
 * here, so the 413 can still be written; the server then closes the connection).
 */
async function drain(next: Pull, budget: number): Promise<void> {
  try {
    let drained = 0
    for (;;) {
      const { done, value } = await next()
      if (done) return
      drained += value.byteLength
      if (drained > budget) break
    }
    await next.stop()
  } catch {
    // Nothing left to drain.
  }
}
