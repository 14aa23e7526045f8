import { escapeSlack } from '../../src/activities/notify';
import { shown } from '../../src/client/output';
import { configSchema, resolveStack } from '../../src/domain/config';
import { oneLine, renderIncidentReport } from '../../src/domain/incident';
import { alertmanagerPayloadSchema } from '../../src/domain/alert-payloads';

test('Slack text is escaped: no <!channel>, no forged links', () => {
  expect(escapeSlack('rollback <!channel> & <http://evil|click>')).toBe(
    'rollback &lt;!channel&gt; &amp; &lt;http://evil|click&gt;',
  );
});

test('reports keep every field on its own line: newlines and control characters in a reason forge nothing', () => {
  expect(oneLine('a\r\n## Outcome: fine\u2028x\u0007')).toBe('a  ## Outcome: fine x ');
  const report = renderIncidentReport({
    stack: 's',
    workflowId: 'w',
    procedure: 'quick-rollback',
    reason: 'bad\n- Outcome: all good',
    outcome: 'failed',
    timeline: [{ at: 't', step: 'step\r\n- forged', detail: 'd' }],
    checklist: [],
    errorLines: [{ service: 'api', line: 'x\ny' }],
  } as never);
  expect(report).not.toMatch(/^- Outcome: all good/m);
  expect(report).not.toMatch(/^- forged/m);
  expect(report).toContain('# Production Rollback: bad - Outcome: all good');
});

test('the CLI shows remote text without obeying terminal escapes', () => {
  expect(shown('ok\x1b[2J\x1b]0;pwned\x07 done\x9b')).toBe('ok done');
  expect(shown('line1\nline2\tx')).toBe('line1\nline2\tx');
});

test('"constructor" and "__proto__" are not stacks', () => {
  const config = configSchema.parse({ stacks: { real: { host: 'h', services: { a: {} } } } });
  expect(() => resolveStack(config, 'constructor')).toThrow('unknown stack "constructor"');
  expect(() => resolveStack(config, '__proto__')).toThrow('unknown stack "__proto__"');
});

test('alert annotations are bounded, so a payload always fits in a workflow', () => {
  const alert = {
    status: 'firing',
    labels: { alertname: 'X' },
    startsAt: '2026-01-01T00:00:00Z',
    annotations: { summary: 'x'.repeat(5000) },
  };
  const r = alertmanagerPayloadSchema.safeParse({
    version: '4',
    status: 'firing',
    receiver: 'r',
    groupKey: 'g',
    alerts: [alert],
  });
  expect(r.success).toBe(false);
  expect(JSON.stringify(r.error?.issues[0].path)).toBe('["alerts",0,"annotations","summary"]');
});
