/**
 * The decision page a one-time link opens: plain HTML that reads well on a phone and needs no script. It
 * shows the question, its options (a release with its images, when it was recorded and whether it is known
 * good), what the procedure did so far and the stack's containers now; its form answers with a reason.
 */
import type { Decision, PendingDecision, ProcedureProgress } from '../domain/procedure-types';
import { ACTIONS_OF } from './decisions';

export interface ContainerLine {
  name: string;
  image: string;
  state: string;
  status: string;
}

const escape = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c as '&'] as string,
  );

/** Every value in the page is escaped: prompts, reasons and evidence carry text from alerts and people. */
function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · Lifeline</title>
<style>
body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:1rem;color:#111}
h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.5rem}
.box{border:1px solid #ccc;border-radius:.5rem;padding:.75rem;margin:.5rem 0}
.refused{border-color:#b00;background:#fff3f3}.done{border-color:#070;background:#f3fff3}
label.option{display:block;padding:.5rem;border:1px solid #ddd;border-radius:.4rem;margin:.4rem 0}
textarea{width:100%;box-sizing:border-box;min-height:4rem;font:inherit}
button{font:inherit;padding:.7rem 1.2rem;margin:.3rem .3rem 0 0;border-radius:.4rem;border:1px solid #555}
small,.muted{color:#555}ul{padding-left:1.2rem}code{word-break:break-all}
</style></head><body>${body}</body></html>`;
}

export function messagePage(title: string, message: string, kind: 'refused' | 'done'): string {
  return page(title, `<h1>${escape(title)}</h1><div class="box ${kind}">${escape(message)}</div>`);
}

const decisionLine = (d: Decision) =>
  `${d.kind}${d.approved === false ? ' (denied)' : ''} by ${d.by} at ${d.at}` +
  (d.authenticated ? ` via ${d.channel}` : ' (unauthenticated)') +
  (d.releaseId ? `, release ${d.releaseId}` : '') +
  (d.reason ? `: ${d.reason}` : '');

export const recordedPage = (d: Decision, question: PendingDecision) => {
  const needed = question.approvalsNeeded ?? 1;
  const more = d.approved && needed > 1 ? ` One of ${needed} approvals: another person must approve too.` : '';
  return messagePage('Decision recorded', `Recorded: ${decisionLine(d)}.${more}`, 'done');
};

function options(q: PendingDecision): string {
  if (q.kind === 'approval' && !q.options?.length) return '';
  const details = new Map((q.releases ?? []).map((r) => [r.id, r]));
  const items = (q.options ?? []).map((id, i) => {
    const r = details.get(id);
    const about = r
      ? `<br><small>recorded ${escape(r.createdAt)}${r.knownGood ? ' · <b>known good</b>' : ''} · ${escape(r.reason)}<br>` +
        `images: ${Object.entries(r.imageTags)
          .map(([service, image]) => `${escape(service)} ${escape(image)}`)
          .join(', ')}</small>`
      : '';
    // An approval may name a release; the first is the default the question names.
    const checked = i === 0 ? ' checked' : '';
    return `<label class="option"><input type="radio" name="releaseId" value="${escape(id)}"${checked}> <code>${escape(id)}</code>${about}</label>`;
  });
  return `<h2>Options</h2>${items.join('')}`;
}

export function questionPage(
  p: ProcedureProgress,
  q: PendingDecision,
  person: string,
  containers: readonly ContainerLine[] | undefined,
  refusal: string | undefined,
): string {
  const needed = q.approvalsNeeded ?? 1;
  const header =
    `<h1>${escape(p.procedure)} on ${escape(p.stack)}</h1>` +
    `<p class="muted">Asked of the ${escape(q.waitingFor)} since ${escape(q.since)}${q.expiresAt ? `, until ${escape(q.expiresAt)}` : ''}. ` +
    `This link is ${escape(person)}'s, and good once.</p>` +
    `<div class="box"><b>${escape(q.prompt)}</b>` +
    (needed > 1
      ? `<br><small>Needs ${needed} different people to approve; approved so far by: ${escape(q.approvedBy?.join(', ') || 'nobody')}</small>`
      : '') +
    `</div>`;
  const form = refusal
    ? `<div class="box refused">${escape(refusal)}</div>`
    : `<form method="post">${options(q)}<h2>Reason</h2><textarea name="reason" required></textarea><div>` +
      ACTIONS_OF[q.kind]
        .map((a) => `<button type="submit" name="action" value="${a}">${a[0].toUpperCase()}${a.slice(1)}</button>`)
        .join('') +
      `</div></form>`;
  const evidence = p.timeline
    .slice(-12)
    .map((t) => `<li><small>${escape(t.at)}</small> ${escape(t.step)}${t.detail ? `: ${escape(t.detail)}` : ''}</li>`)
    .join('');
  const running = containers
    ? containers.length
      ? `<ul>${containers.map((c) => `<li><code>${escape(c.name)}</code> ${escape(c.image)}: ${escape(c.state)} (${escape(c.status)})</li>`).join('')}</ul>`
      : '<p>No containers of this stack exist.</p>'
    : '<p class="muted">Not known here (the API has no Docker engine).</p>';
  const decided = p.decisions.length
    ? `<h2>Decisions so far</h2><ul>${p.decisions.map((d) => `<li>${escape(decisionLine(d))}</li>`).join('')}</ul>`
    : '';
  return page(
    `${p.procedure}: ${q.prompt}`,
    `${header}${form}${decided}<h2>So far</h2><ul>${evidence}</ul><h2>Containers now</h2>${running}`,
  );
}
