#!/usr/bin/env node
/** The `lifeline` command. */
import { runCli } from './program';

void runCli(process.argv.slice(2));
