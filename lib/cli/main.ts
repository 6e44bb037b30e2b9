import { Command } from 'commander';
import { readerGone } from './cli-support.ts';
import { registerConfig } from './commands/config.ts';
import { registerCustomer } from './commands/customer.ts';
import { registerDeliver } from './commands/deliver.ts';
import { registerDemo } from './commands/demo.ts';
import { registerExport } from './commands/export.ts';
import { registerIngest } from './commands/ingest.ts';
import { registerModel } from './commands/model.ts';
import { registerNightly } from './commands/nightly.ts';
import { registerPreview } from './commands/preview.ts';
import { registerQuarantine } from './commands/quarantine.ts';
import { registerReplay } from './commands/replay.ts';
import { registerReport } from './commands/report.ts';
import { registerResults } from './commands/results.ts';
import { registerSimulate } from './commands/simulate.ts';
import { errorLine, exitCodeOf } from './exit-code.ts';

/** The program: one file per command under commands/, in the order `--help` lists them. */
export function buildCli(): Command {
  const program = new Command('moments')
    .description('moments: retail CRM pipeline (local embedded stack by default; state under MOMENTS_HOME)')
    .option('--target <target>', 'local (default) or aws', process.env['MOMENTS_TARGET'])
    .showHelpAfterError()
    .exitOverride();
  for (const register of [
    registerIngest,
    registerReplay,
    registerQuarantine,
    registerExport,
    registerCustomer,
    registerNightly,
    registerModel,
    registerDeliver,
    registerSimulate,
    registerPreview,
    registerResults,
    registerReport,
    registerConfig,
    registerDemo,
  ])
    register(program);
  return program;
}

function onStdoutError(e: NodeJS.ErrnoException): void {
  if (!readerGone(e)) throw e;
}

/** Runs one command; its exit code and error line come from lib/cli/exit-code.ts, the same for every command. */
export async function main(argv: string[]): Promise<number> {
  const program = buildCli();
  // A console.log after the reader went away would otherwise end the process with an unhandled 'error' event.
  if (!process.stdout.listeners('error').includes(onStdoutError)) process.stdout.on('error', onStdoutError);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const line = errorLine(e);
    if (line) console.error(line);
    return exitCodeOf(e);
  }
}

/**
 * The last word on an error no command caught (an emulator's stream failing on its own, a rejected promise
 * nobody awaited): the same one line and exit 1 as a caught failure, not Node's stack trace. bin/moments.js
 * installs it; tests that run main() in-process do not.
 */
export function onUncaught(e: unknown): void {
  console.error(errorLine(e) ?? String(e));
  process.exit(exitCodeOf(e) || 1);
}
