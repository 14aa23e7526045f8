/** The monitoring window a workflow is in, answered to the CLI's countdown (monitoringWindow query). */
import { setHandler } from '@temporalio/workflow';
import type { MonitoringWindow } from '../../domain/procedure-types';
import { monitoringWindowQuery } from '../definitions';

let current: MonitoringWindow | undefined;

/** Starts answering the query with a window of `seconds` from now; the caller updates samples and failures. */
export function openWindow(name: string, seconds: number): MonitoringWindow {
  const window: MonitoringWindow = {
    name,
    seconds,
    endsAt: new Date(Date.now() + seconds * 1000).toISOString(),
    samples: 0,
    failures: 0,
  };
  current = seconds > 0 ? window : undefined;
  setHandler(monitoringWindowQuery, () => current);
  return window;
}

export function closeWindow(): void {
  current = undefined;
}
