/**
 * Alert webhooks: Alertmanager (v4), Grafana and a generic form. Each alert goes to its stack's owner
 * workflow (which triages it) by signal-with-start, batched per stack while a signal is in flight; repeats
 * are dropped here and again, durably, there.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z, ZodTypeAny } from 'zod';
import {
  alertmanagerPayloadSchema,
  genericAlertSchema,
  grafanaPayloadSchema,
  routeGenericAlert,
  Routed,
  routeUpstreamAlerts,
} from '../../domain/alert-payloads';
import { AlertEvent, dedupKey } from '../../domain/alerts';
import { ownerStartOptions } from '../../client/start-procedure';
import { alertSignal } from '../../workflows/definitions';
import { AlertBatches } from '../alert-batches';
import { RecentKeys } from '../dedup';
import type { RouteDeps } from '../deps';
import { badRequest, CALL_DEADLINE_MS, unavailable } from './replies';

const DEDUP_WINDOW_MS = 10 * 60_000;

export function registerAlertRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const recent = new RecentKeys(50_000, DEDUP_WINDOW_MS);
  const stacks = Object.keys(deps.config.stacks);
  const batches = new AlertBatches(async (name, events) => {
    const owner = ownerStartOptions(
      { name },
      { taskQueue: deps.taskQueue, approvalTimeoutSeconds: deps.config.alerts.approvalTimeoutSeconds },
    );
    const handle = await deps.client.withDeadline(deps.now() + CALL_DEADLINE_MS, () =>
      deps.client.workflow.signalWithStart('stackOwner', { ...owner, signal: alertSignal, signalArgs: [events] }),
    );
    return handle.workflowId;
  });

  async function deliver(req: FastifyRequest, reply: FastifyReply, source: string, routed: Routed) {
    const fresh: AlertEvent[] = [];
    let deduplicated = 0;
    for (const e of routed.events) {
      deps.metrics.alerts.inc({ source, status: e.status });
      if (recent.firstSeen(dedupKey(e), deps.now())) fresh.push(e);
      else deduplicated++;
    }
    deps.metrics.deduplicated.inc(deduplicated);
    const workflowIds = new Set<string>();
    // One signal per stack and delivery: a storm of grouped alerts is a few signals, not thousands.
    const byStack = new Map<string, AlertEvent[]>();
    for (const e of fresh) byStack.set(e.stack, [...(byStack.get(e.stack) ?? []), e]);
    try {
      for (const id of await Promise.all([...byStack].map(([name, events]) => batches.deliver(name, events))))
        workflowIds.add(id);
    } catch (err) {
      // Let the sender retry everything: forget what we took as seen in this request.
      for (const e of fresh) recent.forget(dedupKey(e));
      return unavailable(reply, req.log, err);
    }
    return reply
      .code(202)
      .send({ accepted: fresh.length, deduplicated, unrouted: routed.unrouted, workflowIds: [...workflowIds] });
  }

  function route<S extends ZodTypeAny>(
    url: string,
    schema: S,
    toRouted: (payload: z.output<S>) => Routed,
    source: string,
  ) {
    app.post(url, { config: { access: 'alerts' } }, async (req, reply) => {
      const parsed = schema.safeParse(req.body);
      if (!parsed.success) return badRequest(reply, parsed.error);
      return deliver(req, reply, source, toRouted(parsed.data));
    });
  }

  route(
    '/alerts/alertmanager',
    alertmanagerPayloadSchema,
    (p) => routeUpstreamAlerts('alertmanager', p.alerts, deps.config.alerts, stacks),
    'alertmanager',
  );
  route(
    '/alerts/grafana',
    grafanaPayloadSchema,
    (p) => routeUpstreamAlerts('grafana', p.alerts, deps.config.alerts, stacks),
    'grafana',
  );
  app.post('/alerts', { config: { access: 'alerts' } }, async (req, reply) => {
    const parsed = genericAlertSchema.safeParse(req.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    // A single alert for a stack Lifeline does not know is the sender's mistake, unlike one alert in a batch.
    if (!stacks.includes(parsed.data.stack))
      return reply.code(404).send({ error: `unknown stack "${parsed.data.stack}"` });
    return deliver(req, reply, 'generic', routeGenericAlert(parsed.data, new Date(deps.now()), deps.config.alerts));
  });
}
