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
  const services = Object.keys(parse(stdout).services);
  expect(services.sort()).toEqual(['lifeline-api', 'lifeline-worker', 'postgresql', 'temporal', 'temporal-ui']);
  expect(stdout).toContain('/var/run/docker.sock');
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
