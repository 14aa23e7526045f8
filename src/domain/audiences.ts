/** Who hears a question: the people holding its role. Free of zod, so workflow code can use it. */
import type { Person } from './people';

/** Who holds the role `audience`, or is the person it names (a question back to whoever asked for the procedure). */
export const peopleIn = (people: readonly Person[], audience: string): Person[] =>
  people.filter((p) => p.roles.includes(audience) || p.name === audience);

/** With someone holding the role, only an authenticated person holding it may answer (nobody: anyone may). */
export const roleRequired = (people: readonly Person[], audience: string): boolean =>
  peopleIn(people, audience).length > 0;

export const mayAnswer = (people: readonly Person[], audience: string, person: string): boolean =>
  peopleIn(people, audience).some((p) => p.name === person);
