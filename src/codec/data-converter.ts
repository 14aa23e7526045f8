/**
 * The data converter every Lifeline client and worker uses: default JSON payloads and failures whose
 * messages and stack traces are payloads too, all sealed by the encryption codec.
 */
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec';
import { loadCodecKeys } from './keys';

export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

export function lifelineDataConverter(dataDir: string, env: NodeJS.ProcessEnv = process.env): DataConverter {
  return {
    payloadCodecs: [new EncryptionCodec(loadCodecKeys(dataDir, env))],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}
