import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/config-error';
import { temporalTls } from '../../src/config/temporal-tls';

test('no TLS variables: plaintext (the local dev server)', () => {
  expect(temporalTls({})).toBeUndefined();
});

test('TLS and mTLS from the Temporal environment variable names, files or inline PEM', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tls-'));
  const file = (name: string, text: string) => (writeFileSync(path.join(dir, name), text), path.join(dir, name));
  expect(temporalTls({ TEMPORAL_TLS: 'true' })).toEqual({});
  const tls = temporalTls({
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem', 'CA'),
    TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem', 'CRT'),
    TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key', 'KEY'),
    TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
  });
  expect(tls).toEqual({
    serverNameOverride: 'temporal.internal',
    serverRootCACertificate: Buffer.from('CA'),
    clientCertPair: { crt: Buffer.from('CRT'), key: Buffer.from('KEY') },
  });
  expect(temporalTls({ TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'INLINE' })).toEqual({
    serverRootCACertificate: Buffer.from('INLINE'),
  });
});

test('half an mTLS pair or an unreadable file is a clear config error', () => {
  expect(() => temporalTls({ TEMPORAL_TLS_CLIENT_CERT_DATA: 'CRT' })).toThrow(ConfigError);
  expect(() => temporalTls({ TEMPORAL_TLS_CLIENT_CERT_DATA: 'CRT' })).toThrow('mTLS needs both');
  expect(() => temporalTls({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nonexistent/ca.pem' })).toThrow(
    'TEMPORAL_TLS_SERVER_CA_CERT_PATH (/nonexistent/ca.pem) cannot be read',
  );
});
