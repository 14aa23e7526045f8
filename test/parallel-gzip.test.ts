/** Parallel gzip: whatever the input's size against the block size, the output is one valid gzip stream of it. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { createParallelGzip } from '../src/activities/parallel-gzip';

const BLOCK = 64 * 1024;

/** Input fed in odd-sized chunks, so blocks are cut inside chunks and across them. */
async function compress(input: Buffer, parallelism: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < input.length; at += 7919) chunks.push(input.subarray(at, at + 7919));
  return buffer(Readable.from(chunks).pipe(createParallelGzip({ level: 1, blockBytes: BLOCK, parallelism })));
}

const mixed = (bytes: number) =>
  Buffer.concat([randomBytes(bytes / 2), Buffer.alloc(bytes - bytes / 2, 'player=1 x=2 y=3 event=move\n')]);

test.each([
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.from('x')],
  ['one block less a byte', mixed(BLOCK - 2).subarray(0, BLOCK - 1)],
  ['exactly one block', mixed(BLOCK)],
  ['three and a half blocks', mixed(BLOCK * 3.5)],
  ['forty blocks', mixed(BLOCK * 40)],
])('%s: gunzip and the gzip tool both read back the input, in order', async (_name, input) => {
  for (const parallelism of [1, 3]) {
    const out = await compress(input, parallelism);
    expect(gunzipSync(out).equals(input)).toBe(true);
    expect(execFileSync('gzip', ['-dc'], { input: out, maxBuffer: 64 << 20 }).equals(input)).toBe(true);
  }
});

test('members are compressed at the level asked: text shrinks, and one member per block', async () => {
  const text = Buffer.alloc(BLOCK * 4, 'player=1 x=2 y=3 event=move\n');
  const out = await compress(text, 3);
  expect(out.length).toBeLessThan(text.length / 20);
  // Every member starts with the gzip magic and deflate method (1f 8b 08).
  const magic = Buffer.from([0x1f, 0x8b, 0x08]);
  let members = 0;
  for (let at = out.indexOf(magic); at !== -1; at = out.indexOf(magic, at + 1)) members++;
  expect(members).toBeGreaterThanOrEqual(4);
});

test('a failing source fails the stream instead of writing a truncated archive', async () => {
  const source = new Readable({
    read() {
      this.push(randomBytes(BLOCK * 2));
      this.destroy(new Error('engine went away'));
    },
  });
  const written: Buffer[] = [];
  await expect(
    pipeline(source, createParallelGzip({ level: 1, blockBytes: BLOCK }), async (members: AsyncIterable<Buffer>) => {
      for await (const m of members) written.push(m);
    }),
  ).rejects.toThrow('engine went away');
  // No final member was flushed after the failure to make the partial output look complete.
  expect(Buffer.concat(written).length).toBeLessThan(BLOCK);
});
