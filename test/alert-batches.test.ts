/** Group commit of alerts per stack: nothing waits when nothing is in flight; a flood becomes few signals. */
import { AlertBatches } from '../src/api/alert-batches';
import type { AlertEvent } from '../src/domain/alerts';

const alert = (stack: string, n: number): AlertEvent => ({
  source: 'alertmanager',
  stack,
  name: 'InfoNotice',
  severity: 'low',
  status: 'firing',
  fingerprint: `fp-${n}`,
  startsAt: '2026-11-26T00:00:00Z',
  labels: {},
});

/** A send whose signals the test completes or fails one by one, recording what each carried. */
function controlledSend() {
  const signals: { stack: string; fingerprints: string[]; done(ok: boolean): void }[] = [];
  const send = (stack: string, events: AlertEvent[]) =>
    new Promise<string>((resolve, reject) =>
      signals.push({
        stack,
        fingerprints: events.map((e) => e.fingerprint),
        done: (ok) => (ok ? resolve(`stack:${stack}`) : reject(new Error('server unavailable'))),
      }),
    );
  return { signals, send };
}

const tick = () => new Promise((r) => setImmediate(r));

test('with nothing in flight an alert is sent at once; stacks never wait for each other', async () => {
  const { signals, send } = controlledSend();
  const batches = new AlertBatches(send);
  const a = batches.deliver('shop', [alert('shop', 1)]);
  const b = batches.deliver('blog', [alert('blog', 2)]);
  expect(signals.map((s) => s.stack)).toEqual(['shop', 'blog']);
  signals.forEach((s) => s.done(true));
  await expect(a).resolves.toBe('stack:shop');
  await expect(b).resolves.toBe('stack:blog');
});

test('alerts arriving while a signal is in flight go together in the next one, in order', async () => {
  const { signals, send } = controlledSend();
  const batches = new AlertBatches(send);
  const first = batches.deliver('shop', [alert('shop', 1)]);
  const waiting = [2, 3, 4].map((n) => batches.deliver('shop', [alert('shop', n)]));
  expect(signals).toHaveLength(1);
  signals[0].done(true);
  await first;
  await tick();
  expect(signals).toHaveLength(2);
  expect(signals[1].fingerprints).toEqual(['fp-2', 'fp-3', 'fp-4']);
  signals[1].done(true);
  await expect(Promise.all(waiting)).resolves.toEqual(['stack:shop', 'stack:shop', 'stack:shop']);
  // Idle again: the next alert goes at once.
  void batches.deliver('shop', [alert('shop', 5)]);
  expect(signals).toHaveLength(3);
});

test('a batch holds at most maxBatch alerts; the rest wait for the following signal', async () => {
  const { signals, send } = controlledSend();
  const batches = new AlertBatches(send, 2);
  void batches.deliver('shop', [alert('shop', 0)]);
  const rest = [1, 2, 3].map((n) => batches.deliver('shop', [alert('shop', n)]));
  signals[0].done(true);
  await tick();
  expect(signals[1].fingerprints).toEqual(['fp-1', 'fp-2']);
  signals[1].done(true);
  await tick();
  expect(signals[2].fingerprints).toEqual(['fp-3']);
  signals[2].done(true);
  await expect(Promise.all(rest)).resolves.toHaveLength(3);
});

test('a failed signal fails only the callers whose alerts it carried; the next batch still goes', async () => {
  const { signals, send } = controlledSend();
  const batches = new AlertBatches(send);
  const first = batches.deliver('shop', [alert('shop', 1)]);
  const second = batches.deliver('shop', [alert('shop', 2)]);
  signals[0].done(false);
  await expect(first).rejects.toThrow('server unavailable');
  await tick();
  expect(signals[1].fingerprints).toEqual(['fp-2']);
  signals[1].done(true);
  await expect(second).resolves.toBe('stack:shop');
});
