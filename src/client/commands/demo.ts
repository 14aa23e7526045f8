/** `lifeline demo up|down`: a newcomer's first try, on the local engine. */
import type { Command } from 'commander';
import Docker from 'dockerode';
import { buildFixtureImages } from '../../fixtures/images';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../../fixtures/stack';
import type { CommandContext } from '../context';
import { follow } from '../progress';
import { operatorName, requestProcedure, run } from './run';

export function registerDemo(program: Command, ctx: () => CommandContext): void {
  const demo = program.command('demo').description('the fixture SpaceTime stack on the local Docker engine');
  demo
    .command('up [stack]')
    .description('start the stack on v2.4.9, record it as a good release, then deploy the broken v2.5.0')
    .action((stackName = 'spacetime') =>
      run(
        ctx(),
        async (c) => {
          const stack = c.stack(stackName);
          const docker = new Docker();
          c.out.info('building fixture images (docker import from busybox-static)...');
          await buildFixtureImages(docker);
          c.out.info(`starting ${stack.services.length} services on v2.4.9...`);
          await upFixtureStack(docker, stack, 'v2.4.9');
          await waitFixtureHealthy(docker, stack);
          const args = {
            stack,
            trigger: 'cli' as const,
            reason: 'demo: good release v2.4.9',
            requestedBy: operatorName(),
            knownGood: true,
          };
          const { handle } = await requestProcedure(c, 'backup', args, { wait: true });
          const { release } = await follow<{ release: { id: string } }>(c.out, handle, { quiet: true });
          c.out.info(`recorded good release ${release.id}; deploying broken v2.5.0...`);
          await upFixtureStack(docker, stack, 'v2.5.0');
          return { stack: stack.name, goodRelease: release.id, deployed: 'v2.5.0' };
        },
        (r) =>
          `demo stack ${r.stack} is now on the broken v2.5.0 (good release ${r.goodRelease}).\nBring it back with:\n  lifeline rollback ${r.stack} --quick`,
      ),
    );
  demo
    .command('down [stack]')
    .description('remove the fixture stack containers')
    .action((stackName = 'spacetime') =>
      run(
        ctx(),
        async (c) => {
          await removeFixtureStack(new Docker(), c.stack(stackName));
          return { removed: stackName };
        },
        (r) => `removed demo stack ${r.removed}`,
      ),
    );
}
