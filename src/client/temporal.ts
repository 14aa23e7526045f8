/** Connecting to Temporal, with an error that says how to start it, and under a name that says who connects. */
import { Client, Connection } from '@temporalio/client';
import os from 'node:os';
import { lifelineDataConverter } from '../codec/data-converter';
import { temporalAddress, temporalNamespace } from '../config/temporal';
import { temporalTls } from '../config/temporal-tls';

export class TemporalUnreachableError extends Error {
  constructor(address: string, cause: unknown) {
    super(
      `cannot reach Temporal at ${address}: ${(cause as Error)?.message ?? cause}\n` +
        `Start Lifeline's dev server with \`npm start\`, or set TEMPORAL_ADDRESS to your cluster.`,
    );
    this.name = 'TemporalUnreachableError';
  }
}

/** The OS account running the process; a container may have none in its passwd file. */
function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

/**
 * The identity Temporal records with every start, signal, update and poll (the history's `identity` fields):
 * the role and process (`lifeline-api/<pid>@<host>`, `lifeline-host-worker/<pid>@<host>`, ...), and for the
 * CLI the person too (`lifeline-cli:<user>/<pid>@<host>`).
 */
export function temporalIdentity(role: 'api' | 'cli' | 'orchestration-worker' | 'host-worker'): string {
  return `lifeline-${role}${role === 'cli' ? `:${osUser()}` : ''}/${process.pid}@${os.hostname()}`;
}

/** A client whose payloads are encrypted with the keys of `dataDir` (or the environment's). */
export async function connectClient(
  dataDir: string,
  identity: string,
  address = temporalAddress(),
  namespace = temporalNamespace(),
): Promise<Client> {
  // A missing key or an unreadable TLS file is reported as such, before any connection.
  const dataConverter = lifelineDataConverter(dataDir);
  const tls = temporalTls();
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '3s', tls });
  } catch (err) {
    throw new TemporalUnreachableError(address, err);
  }
  return new Client({ connection, namespace, dataConverter, identity });
}
