/** Where incident reports live, and notes added to one after its procedure ended (a hold lifted later). */
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedStack } from '../domain/config';
import { assertStackName } from '../domain/names';

/** <dataDir>/incidents/<stack>/<workflow>.md: the same procedure always has the same file. */
export const incidentReportFile = (dataDir: string, stack: string, workflowId: string): string =>
  path.join(dataDir, 'incidents', assertStackName(stack), `${workflowId.replace(/[^A-Za-z0-9_.-]/g, '_')}.md`);

export function createIncidentNoteActivities() {
  return {
    /** Appends a dated note to a procedure's incident report; a retry finds its note there and adds nothing. */
    async noteInIncidentReport(stack: ResolvedStack, workflowId: string, note: string): Promise<string> {
      const file = incidentReportFile(stack.dataDir, stack.name, workflowId);
      const text = await readFile(file, 'utf8').catch(() => '');
      const line = `- ${note.replace(/\s+/g, ' ')}\n`;
      if (!text.includes(line))
        await appendFile(file, `${text.includes('\n## Afterwards\n') ? '' : '\n## Afterwards\n\n'}${line}`, {
          mode: 0o600,
        });
      return file;
    },
  };
}
