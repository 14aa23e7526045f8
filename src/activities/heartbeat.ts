/** Long activity work that keeps telling the server it is alive, and stops when the activity is cancelled. */
import { Context } from '@temporalio/activity';

/**
 * Runs `work` while heartbeating every `everyMs` with `detail()`: hashing, wiping, extracting and copying
 * never go silent long enough to time out, and a cancellation (which arrives with a heartbeat's answer)
 * rejects at once and aborts the work through `signal`.
 */
export async function heartbeating<T>(
  detail: () => unknown,
  work: (signal: AbortSignal) => Promise<T>,
  everyMs = 1000,
): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat(detail());
  const beat = setInterval(() => ctx.heartbeat(detail()), everyMs);
  try {
    return await Promise.race([work(ctx.cancellationSignal), ctx.cancelled.then(() => undefined as never)]);
  } finally {
    clearInterval(beat);
  }
}
