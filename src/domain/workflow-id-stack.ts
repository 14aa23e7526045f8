/** Which stack a workflow belongs to, read from its ID (the formats of workflow-ids.ts). */
import { PROCEDURES } from './workflow-ids';

/**
 * The stack a Lifeline workflow ID names: the owner's `stack:<name>`, or `[emergency:]<procedure>:<stack>:...`,
 * which covers a procedure's children too (`...:post-actions`, `...:verify:<n>`). Undefined for any other ID.
 */
export function stackOfWorkflowId(id: string): string | undefined {
  const parts = id.split(':');
  if (parts[0] === 'stack') return parts.length === 2 && parts[1] ? parts[1] : undefined;
  const [procedure, stack, ...rest] = parts[0] === 'emergency' ? parts.slice(1) : parts;
  return Object.hasOwn(PROCEDURES, procedure) && stack && rest.length > 0 ? stack : undefined;
}
