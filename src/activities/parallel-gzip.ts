/**
 * gzip on every core, as pigz does: the input is cut into blocks, each block is compressed as its own gzip
 * member in libuv's thread pool, and the members are written in input order. Concatenated members are one
 * valid gzip stream (RFC 1952 §2.2): gzip -d, tar -z, Node's gunzip and Docker's archive API all read it.
 * A single deflate stream is one core's work; a volume backup is mostly that.
 */
import os from 'node:os';
import { Transform, TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

export interface ParallelGzipOptions {
  level: number;
  /** Bytes per member; larger compresses slightly better, smaller holds less memory. */
  blockBytes?: number;
  /**
   * Members compressed at once. Default: one more than the cores, so a core is not idle while the oldest
   * member is awaited (measured: on 2 cores 3 in flight beat 2 by 1.2×). Memory held is about this × 2 blocks.
   */
  parallelism?: number;
}

export function createParallelGzip(opts: ParallelGzipOptions): Transform {
  const blockBytes = opts.blockBytes ?? 1 << 20;
  const parallelism = Math.max(1, opts.parallelism ?? os.availableParallelism() + 1);
  const inFlight: Promise<Buffer>[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let members = 0;

  const compress = (block: Buffer) => {
    const member = gzipAsync(block, { level: opts.level });
    member.catch(() => undefined); // awaited in order below
    inFlight.push(member);
    members++;
  };
  const takeBlock = (bytes: number): Buffer => {
    const all = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = all.length > bytes ? [all.subarray(bytes)] : [];
    pendingBytes = all.length - bytes;
    return all.subarray(0, bytes);
  };

  return new Transform({
    async transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        pending.push(chunk);
        pendingBytes += chunk.length;
        while (pendingBytes >= blockBytes) {
          compress(takeBlock(blockBytes));
          // Back-pressure: the oldest member is written before more are started.
          if (inFlight.length >= parallelism) this.push(await inFlight.shift()!);
        }
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    async flush(callback: TransformCallback) {
      try {
        // Empty input still makes one (empty) member: a valid gzip file.
        if (pendingBytes > 0 || members === 0) compress(takeBlock(pendingBytes));
        while (inFlight.length) this.push(await inFlight.shift()!);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}
