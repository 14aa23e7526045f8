/** A raw failure's message as Lifeline's clients read it: failures carry it sealed, in their encoded attributes. */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { testCodec } from './env';

export async function failureMessage(failure: temporal.api.failure.v1.IFailure | null | undefined): Promise<string> {
  if (!failure?.encodedAttributes) return failure?.message ?? '';
  const [plain] = await testCodec().decode([failure.encodedAttributes]);
  return defaultPayloadConverter.fromPayload<{ message: string }>(plain).message;
}
