import type { Command } from 'commander';
import { checkReplayKey, replayFile, RunbookInputError } from '../../operations/replay.ts';
import { withRuntime } from '../cli-support.ts';
import { awaitIngest, summaryLine, warningLines } from '../await-ingest.ts';

/** Runbook: run the ingest again on files already in the bucket (after a mapping change or a fix). */
export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('run the ingest again on uploads already in the bucket (incoming/...): after a column mapping change or a fix')
    .argument('<keys...>', 'object keys, e.g. incoming/orders/orders-2026-03-05.csv')
    .option('--json', 'one JSON object per file')
    .action(async (keys: string[], o: { json?: boolean }) => {
      // Every key checked before the stack starts: a wrong one is a usage error, whichever place it has.
      for (const key of keys) {
        const bad = checkReplayKey(key);
        if (bad) throw new RunbookInputError(bad);
      }
      let failed = false;
      await withRuntime(program, async (rt) => {
        for (const key of keys) {
          // A key that is not there is a RunbookInputError: exit 2 (lib/cli/exit-code.ts).
          const r = await replayFile(key, {
            files: rt.adapters.files,
            ledger: rt.adapters.ledgerEntries,
            awaitResult: (k, etag) => awaitIngest(rt, k, etag),
          });
          if (r.summary.status === 'quarantined') failed = true;
          if (o.json) console.log(JSON.stringify({ ...r.summary, replayed: true, ledgerEntriesRemoved: r.forgotten, receivedAt: r.receivedAt }));
          else console.log(`replayed ${summaryLine(r.summary, rt.where)}${warningLines(r.summary)}`);
        }
      });
      if (failed) process.exitCode = 1;
    });
}
