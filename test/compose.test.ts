/** docker-compose.yml describes Lifeline in production; Debian's docker-compose must accept it. */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ROOT } from './harness/paths';

const run = promisify(execFile);

test('docker-compose config accepts docker-compose.yml', async () => {
  const { stdout } = await run('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config']);
  const { services } = parse(stdout) as {
    services: Record<
      string,
      { environment: Record<string, string>; deploy?: { replicas?: number }; volumes: (string | { source: string })[] }
    >;
  };
  expect(Object.keys(services).sort()).toEqual([
    'lifeline-api',
    'lifeline-host',
    'lifeline-lb',
    'lifeline-orchestration',
    'postgresql',
    'temporal-backend',
    'temporal-frontend',
    'temporal-schema',
    'temporal-ui',
  ]);
  // The topology of docs/SCALING-OUT.md: split Temporal services, replicas where they are safe, one host worker.
  expect(services['temporal-frontend'].environment.SERVICES).toBe('frontend');
  expect(services['temporal-backend'].environment.SERVICES).toBe('history:matching:worker');
  expect(services['lifeline-orchestration'].deploy?.replicas).toBe(2);
  expect(services['lifeline-orchestration'].environment.LIFELINE_WORKER_ROLES).toBe('orchestration');
  expect(services['lifeline-host'].environment.LIFELINE_WORKER_ROLES).toBe('host');
  expect(services['lifeline-host'].deploy?.replicas ?? 1).toBe(1);
  expect(
    services['lifeline-host'].volumes.some((v) =>
      (typeof v === 'string' ? v : v.source).startsWith('/var/run/docker.sock:'),
    ),
  ).toBe(true);
  expect(services['lifeline-api'].deploy?.replicas).toBe(2);
  // Every Lifeline process talks to Temporal over mTLS.
  for (const name of ['lifeline-orchestration', 'lifeline-host', 'lifeline-api'])
    expect(services[name].environment.TEMPORAL_TLS_CLIENT_CERT_PATH).toBe('/run/secrets/temporal_client_cert');
});

test('the check can fail: a broken copy is rejected', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'compose-'));
  copyFileSync(path.join(ROOT, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
  writeFileSync(
    path.join(dir, 'docker-compose.yml'),
    readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8').replace(
      'condition: service_healthy',
      'condition: sometimes',
    ),
  );
  await expect(run('docker-compose', ['-f', path.join(dir, 'docker-compose.yml'), 'config', '-q'])).rejects.toThrow();
});
