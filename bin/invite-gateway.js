#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npx invite-gateway <command>` works in a checkout
// right after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
process.exitCode = await runCli(process.argv.slice(2));
