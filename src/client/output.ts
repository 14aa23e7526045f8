/** CLI output: JSON or human text, colour only on a TTY, and exit codes that mean something. */
import { WorkflowFailedError } from '@temporalio/client';
import { ConfigError } from '../config/config-error';
import { UnknownStackError } from '../domain/config';
import { InvalidNameError } from '../domain/names';
import { UnknownReleaseError } from '../store/release-store';
import { TemporalUnreachableError } from './temporal';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, busy: 4 } as const;

export class UsageError extends Error {}

/** Another procedure holds the stack (exit code 4). */
export class StackBusyError extends Error {}

const useColour = () => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (useColour() ? `\x1b[${code}m${s}\x1b[0m` : s);
/** Text from a workflow (reasons, steps, answers, failures) is shown, never obeyed: terminal escapes and controls go. */
export const shown = (s: string | undefined): string => (s ?? '').replace(TERMINAL_CONTROLS, '');
const TERMINAL_CONTROLS =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export const colour = { red: paint(31), green: paint(32), yellow: paint(33), dim: paint(2), bold: paint(1) };

export interface Output {
  json: boolean;
  /** Prints `data` as JSON, or `human()` as text. */
  result(data: unknown, human: () => string): void;
  info(line: string): void;
}

export function makeOutput(json: boolean): Output {
  return {
    json,
    result(data, human) {
      process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
    },
    info(line) {
      if (!json) process.stderr.write(`${line}\n`);
    },
  };
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof TemporalUnreachableError) return EXIT.unreachable;
  if (err instanceof StackBusyError) return EXIT.busy;
  if (
    err instanceof ConfigError ||
    err instanceof UnknownStackError ||
    err instanceof InvalidNameError ||
    err instanceof UsageError ||
    err instanceof UnknownReleaseError
  )
    return EXIT.usage;
  if ((err as { code?: string }).code?.startsWith('commander.')) return EXIT.usage;
  return EXIT.failed;
}

export function describeError(err: unknown): string {
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause as { message?: string; cause?: { message?: string } } | undefined;
    return `procedure failed: ${cause?.message ?? err.message}${cause?.cause?.message ? ` (${cause.cause.message})` : ''}`;
  }
  return (err as Error)?.message ?? String(err);
}

export function reportError(out: Output, err: unknown): number {
  const code = exitCodeFor(err);
  const message = describeError(err);
  if (out.json) process.stdout.write(`${JSON.stringify({ error: message, exitCode: code })}\n`);
  else process.stderr.write(`${colour.red('error:')} ${shown(message)}\n`);
  return code;
}
