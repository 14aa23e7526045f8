/** Checklist items tick on evidence only: a backup is "created" only when it holds what the item claims. */
import { releaseBackupTick, snapshotTick } from '../../src/domain/checklist';

const stack = (volumes: string[], backupVolumes: boolean) => ({ volumes, backupVolumes });

describe('"Backup of current state created" from a recorded release', () => {
  test('nothing recorded (no container ran) is skipped, with the reason', () => {
    expect(releaseBackupTick(null, stack(['saves'], true))).toEqual({
      state: 'skipped',
      note: 'no container was running: nothing recorded',
    });
  });

  test('a release without the volumes the stack archives is no backup of its data', () => {
    expect(releaseBackupTick({ id: 'r1', volumes: 0 }, stack(['saves', 'db'], true))).toEqual({
      state: 'failed',
      note: 'r1 holds 0 of the 2 volume(s) the stack archives',
    });
    expect(releaseBackupTick({ id: 'r1', volumes: 1 }, stack(['saves', 'db'], true)).state).toBe('failed');
  });

  test('done when every archived volume is there', () => {
    expect(releaseBackupTick({ id: 'r1', volumes: 2 }, stack(['saves', 'db'], true))).toEqual({
      state: 'done',
      note: 'r1, with 2 volume archive(s)',
    });
  });

  test('containers and config alone are the whole backup of a stack that archives no volumes', () => {
    expect(releaseBackupTick({ id: 'r1', volumes: 0 }, stack(['saves'], false))).toEqual({
      state: 'done',
      note: 'r1: containers and config; volumes are not archived (backupVolumes)',
    });
    expect(releaseBackupTick({ id: 'r1', volumes: 0 }, stack([], true))).toEqual({ state: 'done', note: 'r1' });
    expect(releaseBackupTick({ id: 'r1', volumes: 0 }, stack([], false))).toEqual({ state: 'done', note: 'r1' });
  });
});

describe('"Backup of current state created" from an emergency volume snapshot', () => {
  const archive = (volume: string) => ({ volume, sha256: `${volume}0123456789abcdef` });

  test('no volumes configured: nothing archived, so skipped with the reason', () => {
    expect(snapshotTick([], [])).toEqual({ state: 'skipped', note: 'no volumes configured: nothing to snapshot' });
  });

  test('a configured volume missing from the snapshot fails the item, naming it', () => {
    expect(snapshotTick([], ['saves'])).toEqual({ state: 'failed', note: 'not archived: saves' });
    expect(snapshotTick([archive('saves')], ['saves', 'db'])).toEqual({ state: 'failed', note: 'not archived: db' });
  });

  test('done when every configured volume is archived, each named with its checksum', () => {
    expect(snapshotTick([archive('saves'), archive('db')], ['saves', 'db'])).toEqual({
      state: 'done',
      note: 'saves sha256:saves0123456, db sha256:db0123456789',
    });
  });
});
