'use strict';
/**
 * NOT FOR PRODUCTION. test/compose-topology.test.ts runs docker-compose.yml on a machine with no image
 * registry, so the temporalio/server image cannot run there. In its place, this process is the
 * `temporal-frontend` service's TLS listener: it serves the frontend certificate, requires a client
 * certificate signed by the client CA (the same secrets and environment names the shipped service gives
 * temporalio/server), and passes the decrypted HTTP/2 stream to a plaintext Temporal dev server. The
 * Lifeline services therefore connect exactly as they would to the real frontend: mTLS, SNI
 * `temporal-frontend`, certificates from /run/secrets.
 *
 *   node temporal-tls-frontend.js          serve on TLS_FRONTEND_LISTEN (host:port), forward to TLS_FRONTEND_UPSTREAM
 *   node temporal-tls-frontend.js check    exit 0 when both the listener and the upstream accept connections
 */
const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');

const hostPort = (name) => {
  const value = process.env[name] ?? '';
  const i = value.lastIndexOf(':');
  if (i < 1) throw new Error(`${name} must be host:port, not "${value}"`);
  return { host: value.slice(0, i), port: Number(value.slice(i + 1)) };
};
const listen = hostPort('TLS_FRONTEND_LISTEN');
const upstream = hostPort('TLS_FRONTEND_UPSTREAM');

if (process.argv[2] === 'check') {
  const reachable = ({ host, port }) =>
    new Promise((resolve) => {
      const s = net.connect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
      s.setTimeout(2000, () => {
        s.destroy();
        resolve(false);
      });
    });
  Promise.all([reachable(listen), reachable(upstream)]).then((ok) => process.exit(ok.every(Boolean) ? 0 : 1));
} else {
  const file = (name) => fs.readFileSync(process.env[name]);
  const server = tls.createServer(
    {
      cert: file('TEMPORAL_TLS_FRONTEND_CERT'),
      key: file('TEMPORAL_TLS_FRONTEND_KEY'),
      ca: file('TEMPORAL_TLS_CLIENT1_CA_CERT'),
      requestCert: true,
      rejectUnauthorized: process.env.TEMPORAL_TLS_REQUIRE_CLIENT_AUTH === 'true',
      // gRPC over TLS negotiates HTTP/2 by ALPN; the dev server speaks it in clear (prior knowledge).
      ALPNProtocols: ['h2'],
    },
    (clear) => {
      const plain = net.connect(upstream);
      const close = () => {
        clear.destroy();
        plain.destroy();
      };
      clear.on('error', close).on('close', close);
      plain.on('error', close).on('close', close);
      clear.pipe(plain).pipe(clear);
    },
  );
  server.on('tlsClientError', (err) => {
    // The health check connects and hangs up without a handshake: not worth a line.
    if (err.code !== 'ECONNRESET') console.error(`temporal-tls-frontend: refused a client: ${err.message}`);
  });
  server.listen(listen, () =>
    console.log(
      `temporal-tls-frontend: mTLS on ${listen.host}:${listen.port} -> plaintext ${upstream.host}:${upstream.port}`,
    ),
  );
  // Clients reconnect to whatever listens next: no draining.
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop).on('SIGINT', stop);
}
