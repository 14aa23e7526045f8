/** Prometheus metrics of the API. */
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
