/**
 * TLS and mTLS to a Temporal cluster, from the environment variables the Temporal CLI and SDK environment
 * configuration use: TEMPORAL_TLS (on), TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_CLIENT_CERT_PATH with
 * TEMPORAL_TLS_CLIENT_KEY_PATH (mTLS), TEMPORAL_TLS_SERVER_NAME (SNI override), or the `_DATA` forms holding
 * the PEM itself. Unset: plaintext, as the local dev server on 127.0.0.1 is.
 */
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error';

function pem(env: NodeJS.ProcessEnv, name: string): Buffer | undefined {
  const data = env[`TEMPORAL_TLS_${name}_DATA`];
  if (data) return Buffer.from(data);
  const file = env[`TEMPORAL_TLS_${name}_PATH`];
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`TEMPORAL_TLS_${name}_PATH (${file}) cannot be read: ${(err as Error).message}`);
  }
}

/** The connection's `tls` option: undefined for plaintext, or what the environment configures. */
export function temporalTls(env: NodeJS.ProcessEnv = process.env): TLSConfig | undefined {
  const ca = pem(env, 'SERVER_CA_CERT');
  const crt = pem(env, 'CLIENT_CERT');
  const key = pem(env, 'CLIENT_KEY');
  const serverName = env.TEMPORAL_TLS_SERVER_NAME;
  const on = ['1', 'true'].includes((env.TEMPORAL_TLS ?? '').toLowerCase());
  if (!on && !ca && !crt && !key && !serverName) return undefined;
  if (Boolean(crt) !== Boolean(key))
    throw new ConfigError(
      'mTLS needs both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or their _DATA forms)',
    );
  return {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
  };
}
