/** Real peers from Debian's packages, started on loopback for a test: Prometheus and Alertmanager. */
import axios from 'axios';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { TEST_DIR } from './paths';

export interface Peer {
  url: string;
  stop(): Promise<void>;
}

async function waitReady(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited with ${child.exitCode}; see its log under ${TEST_DIR}`);
    const ok = await axios.get(url, { timeout: 500, validateStatus: () => true }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready at ${url}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

export interface PrometheusOptions {
  metricsPath?: string;
  /** Target labels (the `stack` the shipped rules group by). */
  labels?: Record<string, string>;
  /** Rule files' contents, written beside the config. */
  rules?: string[];
  alertmanagerUrl?: string;
  /** Scrape interval and timeout, seconds (default 1). */
  scrapeSeconds?: number;
}

export async function startPrometheus(port: number, targets: string[], opts: PrometheusOptions = {}): Promise<Peer> {
  const dir = mkdtempSync(path.join(TEST_DIR, 'prometheus-'));
  const ruleFiles = (opts.rules ?? []).map((text, i) => {
    const file = path.join(dir, `rules-${i}.yml`);
    writeFileSync(file, text);
    return file;
  });
  const scrape = opts.scrapeSeconds ?? 1;
  const config = {
    global: { scrape_interval: `${scrape}s`, scrape_timeout: `${scrape}s`, evaluation_interval: '1s' },
    rule_files: ruleFiles,
    ...(opts.alertmanagerUrl
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [new URL(opts.alertmanagerUrl).host] }] }] } }
      : {}),
    scrape_configs: [
      {
        job_name: 'spacetime',
        metrics_path: opts.metricsPath ?? '/metrics/',
        static_configs: [{ targets, labels: opts.labels ?? {} }],
      },
    ],
  };
  writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
  const log = openSync(path.join(dir, 'prometheus.log'), 'a');
  const child = spawn(
    'prometheus',
    [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', log, log] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/-/ready`, child, 'prometheus');
  return { url, stop: stopper(child) };
}

export async function startAlertmanager(
  port: number,
  webhookUrl: string,
  token: string,
  route: Record<string, string> = {},
): Promise<Peer> {
  const dir = mkdtempSync(path.join(TEST_DIR, 'alertmanager-'));
  writeFileSync(path.join(dir, 'token'), token);
  const config = {
    route: {
      receiver: 'lifeline',
      group_by: ['alertname', 'stack'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
      ...route,
    },
    receivers: [
      {
        name: 'lifeline',
        webhook_configs: [
          {
            url: webhookUrl,
            send_resolved: true,
            http_config: { authorization: { credentials_file: path.join(dir, 'token') } },
          },
        ],
      },
    ],
  };
  writeFileSync(path.join(dir, 'alertmanager.yml'), stringify(config));
  const log = openSync(path.join(dir, 'alertmanager.log'), 'a');
  const child = spawn(
    'prometheus-alertmanager',
    [
      `--config.file=${dir}/alertmanager.yml`,
      `--storage.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', log, log] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/-/ready`, child, 'alertmanager');
  return { url, stop: stopper(child) };
}
