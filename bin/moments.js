#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npx moments` works straight after `npm ci`.
import { register } from 'tsx/esm/api';

// The SDK warns on Node 20; Lambda runs nodejs22.x, and the CLI's users need not see it on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main, onUncaught } = await import('../lib/cli/main.ts');
process.on('uncaughtException', onUncaught);
process.on('unhandledRejection', onUncaught);
process.exitCode = await main(process.argv.slice(2));
