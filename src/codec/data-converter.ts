/** The data converter every Lifeline client and worker uses: default JSON payloads, sealed by the encryption codec. */
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec';
import { loadCodecKeys } from './keys';

export function lifelineDataConverter(dataDir: string, env: NodeJS.ProcessEnv = process.env): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(loadCodecKeys(dataDir, env))] };
}
