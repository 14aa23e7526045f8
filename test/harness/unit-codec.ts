/** The payload codec for tests that start no server: the replay fixtures' test-only key, read from the repository. */
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { loadCodecKeys } from '../../src/codec/keys';
import { FIXTURE_CODEC_KEYS_FILE, ROOT } from './paths';

export const unitCodec = () =>
  new EncryptionCodec(loadCodecKeys(ROOT, { LIFELINE_CODEC_KEYS_FILE: FIXTURE_CODEC_KEYS_FILE }), 'show');
