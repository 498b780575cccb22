// The worked example of docs/storage/writing-a-driver.md: the guide quotes the driver and its test
// file whole, so the page cannot drift from the code the suite runs (and the newcomer test copies).
import { readFile } from 'node:fs/promises'
import { expect, it } from 'vitest'

it('the guide quotes this driver and its test file exactly as they are', async () => {
  const guide = await readFile(new URL('../../../docs/storage/writing-a-driver.md', import.meta.url), 'utf8')
  const driver = await readFile(new URL('./example-driver.ts', import.meta.url), 'utf8')
  const test = await readFile(new URL('./example-driver.test.ts', import.meta.url), 'utf8')
  const blocks = [...guide.matchAll(/```ts(?: [^\n]*)?\n([\s\S]*?)```/g)].map((m) => m[1])
  expect(blocks).toContain(driver)
  expect(blocks).toContain(test)
})
