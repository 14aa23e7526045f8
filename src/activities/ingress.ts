/** The ingress (nginx) in its container: rewrite the upstream, validate, reload. */
import type Docker from 'dockerode';
import { ApplicationFailure } from '@temporalio/activity';
import path from 'node:path';
import { pack } from 'tar-stream';
import type { ResolvedStack } from '../domain/config';
import { upstreamBlock } from '../domain/ingress';
import type { DockerActivities } from './docker';
import { dockerFailure } from './errors';

/** Beside the upstream file: the upstream nginx was last reloaded with. */
const LOADED_SUFFIX = '.lifeline-loaded';

export function createIngressActivities(deps: { docker: Docker; dockerActivities: DockerActivities }) {
  const { docker } = deps;
  const exec = deps.dockerActivities.execInContainer;

  async function writeFile(container: string, file: string, content: string): Promise<void> {
    const tar = pack();
    tar.entry({ name: path.basename(file), mode: 0o644 }, content);
    tar.finalize();
    try {
      await docker
        .getContainer(container)
        .putArchive(tar as unknown as NodeJS.ReadableStream, { path: path.dirname(file) });
    } catch (err) {
      throw dockerFailure(`write ${file} in ${container}`, err);
    }
  }

  async function workerPids(container: string): Promise<string[]> {
    const ps = await exec(container, ['/bin/ps']);
    return ps.output
      .split('\n')
      .filter((l) => l.includes('nginx: worker'))
      .map((l) => l.trim().split(/\s+/)[0]);
  }

  /**
   * Makes nginx in `container` serve `wanted` as `file`: writes it, checks the config with `nginx -t`, reloads
   * (`nginx -s reload`), and waits for the old workers to finish their requests and exit (the drain). A config
   * nginx refuses is put back as it was, so traffic keeps flowing. Already served: nothing is done.
   */
  async function applyUpstream(
    container: string,
    file: string,
    wanted: string,
    configFile = '/etc/nginx/nginx.conf',
  ): Promise<{ changed: boolean }> {
    const current = await exec(container, ['/bin/cat', file]);
    // What the running nginx serves is what was last reloaded, recorded beside the file; the file alone
    // can say "new" while nginx still serves the old (a retry after the write, before the reload).
    const loaded = await exec(container, ['/bin/cat', `${file}${LOADED_SUFFIX}`]);
    if (loaded.exitCode === 0 && loaded.output === wanted && current.output === wanted) return { changed: false };
    if (current.output !== wanted) await writeFile(container, file, wanted);
    const test = await exec(container, ['/usr/sbin/nginx', '-t', '-c', configFile]);
    if (test.exitCode !== 0) {
      if (current.exitCode === 0) await writeFile(container, file, current.output);
      throw ApplicationFailure.nonRetryable(`nginx refused the new upstream: ${test.output.trim()}`, 'BadInput');
    }
    const before = await workerPids(container);
    const reload = await exec(container, ['/usr/sbin/nginx', '-s', 'reload', '-c', configFile]);
    if (reload.exitCode !== 0)
      throw ApplicationFailure.create({
        message: `nginx -s reload failed: ${reload.output.trim()}`,
        type: 'ReloadFailed',
      });
    await writeFile(container, `${file}${LOADED_SUFFIX}`, wanted);
    // `nginx -s reload` only signals the master; until the old workers are gone they may still proxy to
    // the old upstream. Wait (bounded) for them to go: then no request reaches the old servers any more.
    for (let i = 0; i < 100 && (await workerPids(container)).some((p) => before.includes(p)); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    return { changed: true };
  }

  return {
    applyUpstream,
    /** Points the stack's nginx upstream at blue's servers. */
    async switchNginxUpstream(stack: ResolvedStack): Promise<{ changed: boolean }> {
      const bg = stack.blueGreen;
      if (!bg)
        throw ApplicationFailure.nonRetryable(`stack ${stack.name} has no blueGreen section in its config`, 'BadInput');
      return applyUpstream(bg.nginxContainer, bg.upstreamFile, upstreamBlock(bg.upstreamName, bg.blue.servers));
    },
  };
}
