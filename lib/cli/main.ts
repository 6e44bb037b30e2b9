import { Command, CommanderError } from 'commander';
import { OutputClosed, readerGone, UsageError } from './cli-support.ts';
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

/**
 * Exit codes (design.md): 0 processed, 1 failure, 2 usage error. Output cut short by its reader (`| head`) ends
 * the command quietly with 0, as `head` asked for no more: the lines it read were complete.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildCli();
  // A console.log after the reader went away would otherwise end the process with an unhandled 'error' event.
  if (!process.stdout.listeners('error').includes(onStdoutError)) process.stdout.on('error', onStdoutError);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      return 2;
    }
    if (e instanceof OutputClosed) return 0;
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    console.error(`error: ${(e as Error).message ?? e}`);
    return 1;
  }
}
