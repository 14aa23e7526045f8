/** Activities that talk to people: chat/webhook notifications and incident reports. */
import { ApplicationFailure, log } from '@temporalio/activity';
import type { AxiosInstance } from 'axios';
import path from 'node:path';
import type { ResolvedStack } from '../domain/config';
import { recoveryOf } from '../domain/recovery';
import { recoveryChart } from './recovery-chart';
import { appendRecovery } from '../store/recoveries';
import { appendAudit } from '../store/audit-log';
import { auditRecordOf } from '../domain/audit';
import { renderIncidentReport, IncidentReport } from '../domain/incident';
import { privateDir, writeFileAtomic } from '../store/files';
import { incidentReportFile } from './incident-notes';

export interface LifelineEvent {
  kind: 'started' | 'escalated' | 'waiting' | 'completed' | 'failed' | 'alert' | 'aborted' | 'cancelled' | 'preempted';
  workflowId: string;
  stack: string;
  procedure: string;
  message: string;
  level?: string;
}

/** Slack's control characters in message text: &, < and > (https://api.slack.com/reference/surfaces/formatting#escaping). */
export const escapeSlack = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Who hears of an event: the stack's stakeholders, or the contacts of one escalation level. */
export type Audience = 'stakeholders' | { escalationLevel: string };

export function createNotifyActivities(deps: { http: AxiosInstance; githubToken?: () => string | undefined }) {
  const { http } = deps;

  return {
    /**
     * Posts the event to the stack's stakeholders, or to one escalation level's contacts; fails (and so
     * retries) only when a target answers with a server error or not at all. Returns how many targets
     * accepted it (a 2xx answer): the checklist ticks "notified" on that evidence only; and how the others
     * answered, by host only (a webhook URL's path can hold its token), for the procedure's record.
     */
    async notify(
      stack: ResolvedStack,
      event: LifelineEvent,
      to: Audience = 'stakeholders',
    ): Promise<{ accepted: number; targets: number; refused: string[] }> {
      const targets =
        to === 'stakeholders'
          ? stack.notifications
          : (stack.escalation.find((l) => l.name === to.escalationLevel)?.contacts ?? []);
      const text = `[lifeline] ${event.procedure} ${event.kind} for ${event.stack}: ${event.message} (${event.workflowId})`;
      const results = await Promise.allSettled(
        targets.map(async (t) => {
          // Slack reads <...> as links and mentions (<!channel>): escape, as its API asks.
          const body = t.kind === 'slack' ? { text: escapeSlack(text) } : { ...event, text };
          const res = await http.post(t.url, body, { timeout: 5000, validateStatus: () => true });
          const host = new URL(t.url).host;
          if (res.status >= 500) throw new Error(`${host} answered ${res.status}`);
          return { host, status: res.status };
        }),
      );
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length)
        throw ApplicationFailure.create({
          message: `notification failed: ${failed.map((f) => String(f.reason?.message ?? f.reason)).join('; ')}`,
          type: 'NotifyFailed',
        });
      const refused = results
        .flatMap((r) => (r.status === 'fulfilled' && (r.value.status < 200 || r.value.status >= 300) ? [r.value] : []))
        .map((a) => `${a.host} answered ${a.status}`);
      return { accepted: results.length - refused.length, targets: results.length, refused };
    },

    /** Writes the incident report as Markdown under <dataDir>/incidents; the same request always writes the same file. */
    async writeIncidentReport(stack: ResolvedStack, report: IncidentReport): Promise<string> {
      const file = incidentReportFile(stack.dataDir, stack.name, report.workflowId);
      await privateDir(path.dirname(file));
      const recovery = recoveryOf(report.timeline);
      const chart = recovery?.phases.length ? file.replace(/\.md$/, '.recovery.svg') : undefined;
      if (chart && recovery) await writeFileAtomic(chart, recoveryChart(recovery));
      if (recovery?.toHealthyMs !== undefined)
        appendRecovery(stack.dataDir, {
          workflowId: report.workflowId,
          stack: stack.name,
          procedure: report.procedure,
          toHealthySeconds: recovery.toHealthyMs / 1000,
          at: new Date().toISOString(),
        });
      await writeFileAtomic(file, renderIncidentReport(report, chart && path.basename(chart)));
      const record = auditRecordOf(report, recovery, file);
      appendAudit(stack.dataDir, record, stack.audit.maxFileBytes);
      if (stack.audit.webhookUrl)
        await http
          .post(stack.audit.webhookUrl, record, { timeout: 10_000 })
          .catch((err: Error) => log.warn('audit record not posted', { error: err.message }));
      return file;
    },

    /** Opens the incident as a GitHub issue (REST API). Needs GITHUB_TOKEN in the worker's environment. */
    async createGithubIssue(stack: ResolvedStack, report: IncidentReport): Promise<string> {
      const { github } = stack;
      if (!github) throw ApplicationFailure.nonRetryable('no github section in the config', 'ConfigMissing');
      const token = deps.githubToken?.();
      if (!token)
        throw ApplicationFailure.nonRetryable('GITHUB_TOKEN is not set in the worker environment', 'ConfigMissing');
      const base = `${github.apiUrl.replace(/\/$/, '')}/repos/${github.repo}/issues`;
      const headers = { Authorization: `Bearer ${token}`, Accept: 'application/vnd.github+json' };
      // Idempotent: an issue with this workflow's marker already open is reused.
      const marker = `lifeline-workflow: ${report.workflowId}`;
      const open = await http.get(base, {
        headers,
        params: { labels: 'incident', state: 'open' },
        timeout: 10_000,
        validateStatus: () => true,
      });
      const found = Array.isArray(open.data)
        ? (open.data as { body?: string; html_url: string }[]).find((i) => i.body?.includes(marker))
        : undefined;
      if (found) return found.html_url;
      const res = await http.post(
        base,
        {
          title: `Production Rollback: ${report.reason}`,
          labels: ['incident'],
          body: `${renderIncidentReport(report)}\n\n<!-- ${marker} -->\n`,
        },
        { headers, timeout: 10_000, validateStatus: () => true },
      );
      if (res.status === 401 || res.status === 403 || res.status === 404 || res.status === 422) {
        throw ApplicationFailure.nonRetryable(`GitHub refused the issue: HTTP ${res.status}`, 'GithubRejected');
      }
      if (res.status >= 300)
        throw ApplicationFailure.create({ message: `GitHub answered HTTP ${res.status}`, type: 'GithubUnavailable' });
      return (res.data as { html_url: string }).html_url;
    },
  };
}
