import { CommanderError } from 'commander';
import { RunbookInputError } from '../operations/replay.ts';
import { OutputClosed } from './cli-support.ts';
import { UsageError } from './usage-error.ts';

/**
 * The one mapping from how a command ended to its exit code (design.md), the same for every command:
 * 0 done (also when the reader of stdout left early: `| head` asked for no more, and the lines it read were
 * complete); 2 a usage error: commander's own (an unknown option, a missing argument), a UsageError (a missing
 * input file, a bad value) or a request the runbook refuses before touching anything; 1 any other failure.
 */
export function exitCodeOf(e: unknown): 0 | 1 | 2 {
  if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0 ? 0 : 2;
  if (e instanceof OutputClosed) return 0;
  if (e instanceof UsageError || e instanceof RunbookInputError) return 2;
  return 1;
}

/**
 * The line a failed command leaves on stderr: its message, never a stack trace (LOG_LEVEL=debug adds the stack
 * for a bug report). Commander prints its own errors, and an output closed by its reader needs no word.
 */
export function errorLine(e: unknown): string | undefined {
  if (e instanceof CommanderError || e instanceof OutputClosed) return undefined;
  if (process.env['LOG_LEVEL'] === 'debug' && e instanceof Error && e.stack) return e.stack;
  return `error: ${e instanceof Error ? e.message : String(e)}`;
}
