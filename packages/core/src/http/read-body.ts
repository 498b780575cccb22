/**
 * Reads a request body stream, holding at most `limit` bytes; adapters hand it their
 * framework's stream (a Node `Readable`, which is async-iterable, or a Web `ReadableStream`).
 * Past the limit it resolves null at once and drains the rest in the background without
 * buffering it: the stream is never destroyed, so the connection stays usable for the 413
 * (some servers close a connection whose request body was left unread).
 */
export function readLimitedBody(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array | null> {
  return collect(pull(source), limit)
}

type Pull = () => Promise<IteratorResult<Uint8Array>>

function pull(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): Pull {
  if ('getReader' in source && typeof source.getReader === 'function') {
    const reader = source.getReader()
    return () => reader.read() as Promise<IteratorResult<Uint8Array>>
  }
  // Driving the iterator by hand (never `break`, never `return()`) keeps a Node stream alive.
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
  return () => iterator.next()
}

async function collect(next: Pull, limit: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await next()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      void drain(next)
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

/** Reads and discards the rest; a broken stream (client went away) just ends the draining. */
async function drain(next: Pull): Promise<void> {
  try {
    for (;;) if ((await next()).done) return
  } catch {
    // Nothing left to drain.
  }
}
