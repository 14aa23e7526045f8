/**
 * The CLI's answers through the API when the operator has a personal token (LIFELINE_API_URL and
 * LIFELINE_PERSONAL_TOKEN or _FILE): the API authenticates the person and the decision is recorded as theirs.
 * Without one, answers go straight to Temporal and are recorded as unauthenticated.
 */
import axios from 'axios';
import type { DecisionAction } from '../api/decisions';
import { readSecret } from '../config/secrets';
import type { LiftedHold } from '../domain/owner';
import type { Decision } from '../domain/procedure-types';
import { UsageError } from './output';

export interface PersonalApi {
  url: string;
  token: string;
}

export function personalApi(env: NodeJS.ProcessEnv = process.env): PersonalApi | undefined {
  const token = readSecret('LIFELINE_PERSONAL_TOKEN', env);
  const url = env.LIFELINE_API_URL?.trim().replace(/\/+$/, '');
  if (!token && !url) return undefined;
  if (!token || !url)
    throw new UsageError(
      'answering through the API needs both LIFELINE_API_URL and LIFELINE_PERSONAL_TOKEN (or _FILE)',
    );
  return { url, token };
}

export async function decideThroughApi(
  api: PersonalApi,
  workflowId: string,
  answer: { action: DecisionAction; reason?: string; releaseId?: string },
): Promise<Decision> {
  const path = `/v1/workflows/${encodeURIComponent(workflowId)}/decisions`;
  return ((await post(api, path, answer)) as { decision: Decision }).decision;
}

export async function liftThroughApi(api: PersonalApi, stack: string, reason: string): Promise<LiftedHold> {
  return ((await post(api, `/v1/stacks/${encodeURIComponent(stack)}/lift`, { reason })) as { lifted: LiftedHold })
    .lifted;
}

async function post(api: PersonalApi, path: string, body: object): Promise<unknown> {
  const res = await axios.post(`${api.url}${path}`, body, {
    headers: { authorization: `Bearer ${api.token}` },
    timeout: 30_000,
    validateStatus: () => true,
  });
  const error = (res.data as { error?: string })?.error ?? `HTTP ${res.status}`;
  // 4xx: the person, the question or the answer is wrong, and nothing was recorded.
  if (res.status >= 400 && res.status < 500) throw new UsageError(`refused: ${error}`);
  if (res.status !== 200) throw new Error(`the API at ${api.url} could not take the decision: ${error}`);
  return res.data;
}
