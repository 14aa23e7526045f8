'use strict';
/**
 * NOT FOR PRODUCTION. On an engine whose containers all share the host's network (no bridge network,
 * as on the test machine of test/compose-topology.test.ts), the replicas of `lifeline-api` cannot all
 * listen on one port. Each replica takes the first free slot: it holds slot i's claim port for as long
 * as it lives (an exclusive bind, so two replicas starting together never pick the same slot), listens
 * on slot i's API port, and then runs the API itself (dist/api/main.js) in this process.
 *
 *   API_REPLICA_PORTS   API ports, one per slot (e.g. 17411,17412)
 *   API_REPLICA_CLAIMS  claim ports, one per slot (e.g. 17421,17422)
 */
const net = require('node:net');
const path = require('node:path');

const ports = (name) => (process.env[name] ?? '').split(',').filter(Boolean).map(Number);
const apiPorts = ports('API_REPLICA_PORTS');
const claimPorts = ports('API_REPLICA_CLAIMS');
const host = process.env.LIFELINE_API_HOST ?? '127.0.0.1';

const claim = (port) =>
  new Promise((resolve) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', () => resolve(undefined));
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });

(async () => {
  for (const [i, port] of claimPorts.entries()) {
    const held = await claim(port);
    if (!held) continue;
    held.unref(); // held until this process exits; it does not keep the process alive by itself
    process.env.LIFELINE_API_PORT = String(apiPorts[i]);
    console.log(`api-replica: slot ${i + 1}, listening on ${host}:${apiPorts[i]}`);
    require(path.join(process.cwd(), 'dist/api/main.js'));
    return;
  }
  console.error(`api-replica: every slot (${claimPorts.join(', ')}) is taken`);
  process.exit(1);
})();
