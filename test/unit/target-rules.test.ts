/**
 * The target rules (src/domain/release-rules.ts) over generated release histories: every automatic choice
 * skips states known bad or rolled back from, whichever record of the state it looks at.
 */
import fc from 'fast-check';
import { type ReleaseFact, type ReleaseFacts, type ReleaseVerdict, summarize } from '../../src/domain/release';
import {
  cleanReleases,
  explicitTargetConcern,
  lastKnownGood,
  newestFirst,
  nextFact,
  rollbackCandidates,
  rollbackFailedPlan,
} from '../../src/domain/release-rules';

const STATES = ['s0', 's1', 's2', 's3', 's4', 's5'];
const fact = (verdict: ReleaseVerdict): ReleaseFact => ({
  verdict,
  at: '2026-12-05T00:00:00Z',
  by: 'test',
  reason: 'r',
});

/** Records (several may share a state) and the facts about some of the states. */
const history = fc
  .record({
    records: fc.uniqueArray(fc.record({ n: fc.integer({ min: 0, max: 9999 }), state: fc.constantFrom(...STATES) }), {
      selector: (x) => x.n,
      maxLength: 14,
    }),
    facts: fc.dictionary(
      fc.constantFrom(...STATES),
      fc.constantFrom<ReleaseVerdict>('known-good', 'known-bad', 'rolled-back-from'),
    ),
  })
  .map(({ records, facts }) => {
    const book: ReleaseFacts = Object.fromEntries(Object.entries(facts).map(([fp, v]) => [fp, fact(v)]));
    const releases = records.map(({ n, state }) =>
      summarize(
        {
          id: `20260101-${String(n).padStart(6, '0')}`,
          stack: 's',
          createdAt: '',
          reason: '',
          imageTags: {},
          fingerprint: state,
          services: [1],
          volumes: [],
        },
        book,
      ),
    );
    return { releases, book };
  });

const excludedState = (book: ReleaseFacts, fp: string) =>
  book[fp]?.verdict === 'known-bad' || book[fp]?.verdict === 'rolled-back-from';

test('an automatic choice never takes a bad or left state, by any of its records, nor the running one', () => {
  fc.assert(
    fc.property(history, fc.constantFrom(...STATES), ({ releases, book }, running) => {
      const candidates = rollbackCandidates(releases, { currentFingerprint: running });
      for (const c of candidates) {
        expect(excludedState(book, c.fingerprint)).toBe(false);
        expect(c.fingerprint).not.toBe(running);
      }
      // Nothing else is left out, and the order is newest first.
      const expected = newestFirst(releases).filter(
        (r) => !excludedState(book, r.fingerprint) && r.fingerprint !== running,
      );
      expect(candidates.map((c) => c.id)).toEqual(expected.map((c) => c.id));
      const good = lastKnownGood(releases, { currentFingerprint: running });
      expect(good?.id).toBe(expected.find((r) => book[r.fingerprint]?.verdict === 'known-good')?.id);
      for (const c of cleanReleases(releases)) expect(book[c.fingerprint]?.verdict).toBe('known-good');
    }),
  );
});

test('a person naming a bad or left release is asked to confirm it; any other goes ahead', () => {
  fc.assert(
    fc.property(history, ({ releases, book }) => {
      for (const r of releases) expect(explicitTargetConcern(r) !== undefined).toBe(excludedState(book, r.fingerprint));
    }),
  );
});

test('rollback-failed never restores the state it was called to leave, nor a bad one, and tries no more than its limit', () => {
  fc.assert(
    fc.property(
      history,
      fc.constantFrom(...STATES),
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 0, max: 3 }),
      ({ releases, book }, leaving, limit, triedCount) => {
        const tried = newestFirst(releases)
          .slice(0, triedCount)
          .map((r) => r.id);
        const plan = rollbackFailedPlan(releases, { tried, leaving, limit });
        const byId = new Map(releases.map((r) => [r.id, r]));
        if (plan.forceRestart) {
          const forced = byId.get(plan.forceRestart)!;
          expect(forced.fingerprint).not.toBe(leaving);
          // Known-bad only by the failed procedure itself (none here): a state found bad elsewhere is never forced.
          expect(forced.knownBad).toBe(false);
          expect(plan.forceRestart).toBe(tried[0]);
        }
        expect(plan.older.length).toBeLessThanOrEqual(limit);
        for (const id of plan.older) {
          const r = byId.get(id)!;
          expect(tried).not.toContain(id);
          expect(r.fingerprint).not.toBe(leaving);
          expect(excludedState(book, r.fingerprint)).toBe(false);
          if (tried[0]) expect(id < tried[0]).toBe(true);
        }
      },
    ),
  );
});

/**
 * A stack's life as the procedures live it: deploys of new states, backups, quick rollbacks that record
 * the state they leave at the swap and then verify (or fail, or are aborted). No quick rollback ever goes
 * back to a state an earlier one left: the "backup, quick rollback, quick rollback" among them.
 */
test('quick rollbacks never go back to a state an earlier procedure left, whatever their ends', () => {
  type Op = { kind: 'deploy' } | { kind: 'backup' } | { kind: 'quick'; end: 'verified' | 'failed' | 'aborted' };
  const op = fc.oneof(
    fc.constant<Op>({ kind: 'deploy' }),
    fc.constant<Op>({ kind: 'backup' }),
    fc
      .constantFrom<'verified' | 'failed' | 'aborted'>('verified', 'failed', 'aborted')
      .map<Op>((end) => ({ kind: 'quick', end })),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
      const book: ReleaseFacts = { v0: fact('known-good') };
      const records: { id: string; fingerprint: string }[] = [];
      let running = 'v0';
      let next = 1;
      const left = new Set<string>();
      const record = () =>
        records.push({ id: `20260101-${String(records.length).padStart(6, '0')}`, fingerprint: running });
      record();
      const list = () =>
        records.map((r) =>
          summarize({ ...r, stack: 's', createdAt: '', reason: '', imageTags: {}, services: [1], volumes: [] }, book),
        );
      for (const o of ops) {
        if (o.kind === 'deploy') {
          running = `v${next++}`;
          record();
        } else if (o.kind === 'backup') record();
        else {
          record(); // the rollback's own backup of the running state
          const target = rollbackCandidates(list(), { currentFingerprint: running })[0];
          if (!target) continue;
          expect(left.has(target.fingerprint)).toBe(false);
          book[running] = nextFact(book[running], fact('rolled-back-from')); // at the swap, whatever the end
          left.add(running);
          const from = running;
          running = target.fingerprint;
          if (o.end === 'verified') {
            book[from] = fact('known-bad');
            book[running] = fact('known-good');
          } else if (o.end === 'failed') book[running] = fact('known-bad');
        }
      }
    }),
  );
});

test('leaving a known-bad state keeps it known-bad; any other fact replaces the one before', () => {
  const verdicts = fc.constantFrom<ReleaseVerdict>('known-good', 'known-bad', 'rolled-back-from');
  fc.assert(
    fc.property(fc.option(verdicts, { nil: undefined }), verdicts, (before, now) => {
      const next = nextFact(before && fact(before), fact(now));
      expect(next.verdict).toBe(before === 'known-bad' && now === 'rolled-back-from' ? 'known-bad' : now);
    }),
  );
});
