/** Who hears a question: the people holding its role. Free of zod, so workflow code can use it. */
import type { Person } from './people';

/** Who holds the role `audience`, or is the person it names (a question back to whoever asked for the procedure). */
export const peopleIn = (people: readonly Person[], audience: string): Person[] =>
  people.filter((p) => p.roles.includes(audience) || p.name === audience);
