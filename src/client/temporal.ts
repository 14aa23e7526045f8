/** Connecting to Temporal, with an error that says how to start it. */
import { Client, Connection } from '@temporalio/client';
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

/** A client whose payloads are encrypted with the keys of `dataDir` (or the environment's). */
export async function connectClient(
  dataDir: string,
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
  return new Client({ connection, namespace, dataConverter });
}
