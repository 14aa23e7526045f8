/**
 * Failures with their message and stack trace moved into an encoded payload, so the encryption codec seals
 * them like every other payload (an error can quote a log line, a path or a command's output). Loaded by
 * path (`failureConverterPath`): workflow code runs it inside its sandbox.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
