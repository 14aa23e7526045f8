/** Prometheus metrics of the API. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { readRecoveries } from '../store/recoveries';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'lifeline_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [this.registry],
  });
  readonly alerts = new Counter({
    name: 'lifeline_alerts_received_total',
    help: 'Alerts received by source and status',
    labelNames: ['source', 'status'],
    registers: [this.registry],
  });
  readonly deduplicated = new Counter({
    name: 'lifeline_alerts_deduplicated_total',
    help: 'Alerts dropped as duplicates',
    registers: [this.registry],
  });
  readonly workflowsStarted = new Counter({
    name: 'lifeline_workflows_started_total',
    help: 'Workflows started or signalled by the API',
    labelNames: ['procedure'],
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'lifeline_auth_failures_total',
    help: 'Requests refused for missing or invalid credentials',
    registers: [this.registry],
  });

  /** Read from the recoveries the workers record (<dataDir>/recoveries.jsonl) each time /metrics is scraped. */
  readonly timeToHealthy: Histogram<'stack' | 'procedure'>;

  constructor(dataDir?: string) {
    collectDefaultMetrics({ register: this.registry });
    let offset = 0;
    const seen = new Set<string>();
    this.timeToHealthy = new Histogram({
      name: 'lifeline_time_to_healthy_seconds',
      help: 'From the incident (alert or request) to a healthy stack, per stack and procedure (runbook RTO: 180 s)',
      labelNames: ['stack', 'procedure'],
      buckets: [5, 10, 30, 60, 120, 180, 300, 600, 1800],
      registers: [this.registry],
      collect() {
        if (!dataDir) return;
        const read = readRecoveries(dataDir, offset);
        offset = read.offset;
        for (const r of read.records) {
          if (seen.has(r.workflowId)) continue; // a retried report wrote it again
          seen.add(r.workflowId);
          this.observe({ stack: r.stack, procedure: r.procedure }, r.toHealthySeconds);
        }
      },
    });
  }
}
