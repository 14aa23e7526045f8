/** What every CLI command needs: the config, the stack, a Temporal client, and output. */
import type { Client } from '@temporalio/client';
import { configFilePath, loadConfig } from '../config/load';
import { LifelineConfig, resolveStack, ResolvedStack } from '../domain/config';
import { assertStackName } from '../domain/names';
import { makeOutput, Output } from './output';
import { connectClient, temporalIdentity } from './temporal';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
}

export class CommandContext {
  readonly out: Output;
  private cachedConfig?: LifelineConfig;
  private cachedClient?: Client;

  constructor(private readonly opts: GlobalOptions) {
    this.out = makeOutput(Boolean(opts.json));
  }

  get config(): LifelineConfig {
    this.cachedConfig ??= loadConfig(configFilePath(this.opts.config));
    return this.cachedConfig;
  }

  stack(name: string): ResolvedStack {
    return resolveStack(this.config, assertStackName(name));
  }

  async client(): Promise<Client> {
    this.cachedClient ??= await connectClient(this.config.dataDir, temporalIdentity('cli'));
    return this.cachedClient;
  }

  async close(): Promise<void> {
    await this.cachedClient?.connection.close();
  }
}
