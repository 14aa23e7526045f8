/**
 * Group commit of alerts per stack: while one signal to a stack's owner is in flight, the alerts that arrive
 * for that stack wait and go together in the next signal. With nothing in flight, alerts go at once; a
 * flood of unique alerts becomes a few signals a second instead of hundreds, so the owner's history stays
 * short enough to continue-as-new and the server writes less. Each caller learns how its own alerts fared.
 */
import type { AlertEvent } from '../domain/alerts';

interface Batch {
  events: AlertEvent[];
  settle: { resolve(workflowId: string): void; reject(err: unknown): void };
  sent: Promise<string>;
}

export type SendAlerts = (stack: string, events: AlertEvent[]) => Promise<string>;

export class AlertBatches {
  /** Per stack, the batches waiting behind the signal in flight (absent: nothing in flight). */
  private readonly waiting = new Map<string, Batch[]>();

  constructor(
    private readonly send: SendAlerts,
    /** Alerts per signal at most, so one signal stays well under the payload limits. */
    private readonly maxBatch = 200,
  ) {}

  /** Resolves with the owner's workflow ID once a signal carrying `events` was accepted. */
  deliver(stack: string, events: AlertEvent[]): Promise<string> {
    const queue = this.waiting.get(stack);
    if (!queue) {
      this.waiting.set(stack, []);
      return this.sendNow(stack, events);
    }
    const last = queue.at(-1);
    if (last && last.events.length + events.length <= this.maxBatch) {
      for (const e of events) last.events.push(e);
      return last.sent;
    }
    let settle!: Batch['settle'];
    const sent = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
    queue.push({ events: [...events], settle, sent });
    return sent;
  }

  private sendNow(stack: string, events: AlertEvent[]): Promise<string> {
    const sent = this.send(stack, events);
    // Whatever this signal's fate, the next batch goes next: its callers have their own answer to get.
    void sent.then(
      () => this.next(stack),
      () => this.next(stack),
    );
    return sent;
  }

  private next(stack: string): void {
    const batch = this.waiting.get(stack)?.shift();
    if (!batch) {
      this.waiting.delete(stack);
      return;
    }
    this.sendNow(stack, batch.events).then(batch.settle.resolve, batch.settle.reject);
  }
}
