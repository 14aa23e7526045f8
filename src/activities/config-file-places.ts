/**
 * Where a release's config files may be read from and written back to: a file the worker's own config
 * names, or a compose file or .env inside the project's working directory as its labels recorded it; never
 * through a symlink, and never a path that leaves that directory.
 */
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';

export interface FilePlaces {
  /** Files the worker's config names (`configFiles`): trusted wherever they are. */
  configured: readonly string[];
  /** The compose project's working directory, from the containers' labels. */
  workingDir?: string;
}

/** Why `file` is no place to read or write a release's config file; undefined when it is one. */
export async function placeRefusal(file: string, places: FilePlaces): Promise<string | undefined> {
  if (places.configured.includes(file)) return undefined;
  if (!path.isAbsolute(file) || path.resolve(file) !== file) return `${file} is not a plain absolute path`;
  const dir = places.workingDir && path.resolve(places.workingDir);
  if (!dir || !file.startsWith(dir + path.sep))
    return `${file} is outside the project's working directory ${places.workingDir ?? '(none recorded)'}`;
  const folder = path.dirname(file);
  if ((await realpath(folder).catch(() => folder)) !== folder)
    return `${file}: its folder is reached through a symlink`;
  if ((await lstat(file).catch(() => undefined))?.isSymbolicLink()) return `${file} is a symlink`;
  return undefined;
}
