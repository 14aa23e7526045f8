/** Where the Temporal frontend is: TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE (config/env.ts). */
import { readEnv } from './env';

export const temporalAddress = (): string => readEnv().TEMPORAL_ADDRESS;
export const temporalNamespace = (): string => readEnv().TEMPORAL_NAMESPACE;
