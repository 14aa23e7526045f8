/** Lifeline's custom search attributes, so operators can find procedures in the Web UI. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  stack: defineSearchAttributeKey('LifelineStack', SearchAttributeType.KEYWORD),
  procedure: defineSearchAttributeKey('LifelineProcedure', SearchAttributeType.KEYWORD),
  trigger: defineSearchAttributeKey('LifelineTrigger', SearchAttributeType.KEYWORD),
  severity: defineSearchAttributeKey('LifelineSeverity', SearchAttributeType.KEYWORD),
  fromRelease: defineSearchAttributeKey('LifelineFromRelease', SearchAttributeType.KEYWORD),
  toRelease: defineSearchAttributeKey('LifelineToRelease', SearchAttributeType.KEYWORD),
  escalationLevel: defineSearchAttributeKey('LifelineEscalationLevel', SearchAttributeType.INT),
  waitingFor: defineSearchAttributeKey('LifelineWaitingFor', SearchAttributeType.KEYWORD),
};

/** "Name=Type" pairs for `temporal server start-dev --search-attribute` and `operator search-attribute create`. */
export const SEARCH_ATTRIBUTE_DECLARATIONS: string[] = Object.values(SA).map(
  (k) => `${k.name}=${k.type === SearchAttributeType.INT ? 'Int' : 'Keyword'}`,
);
