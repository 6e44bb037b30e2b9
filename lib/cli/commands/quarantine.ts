import { createReadStream, statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { listQuarantine, reprocessQuarantined } from '../../operations/quarantine.ts';
import { inputPath, withRuntime } from '../cli-support.ts';
import { awaitIngest, summaryLine, warningLines } from '../await-ingest.ts';

/** Runbook: what the ingest quarantined, and sending it through again. */
export function registerQuarantine(program: Command): void {
  const q = program.command('quarantine').description('files the ingest could not read at all (quarantine/)');
  q.command('list')
    .description('each quarantined file with the reason the ingest gave')
    .option('--json', 'one JSON object per file')
    .action(async (o: { json?: boolean }) => {
      await withRuntime(program, async (rt) => {
        const files = await listQuarantine(rt.adapters.files);
        for (const f of files) {
          if (o.json) console.log(JSON.stringify(f));
          else console.log(`${f.key}  ${f.quarantinedAt}  ${f.size} bytes  ${f.reason ?? '(no reason file)'}`);
        }
        if (!files.length && !o.json) console.log('nothing in quarantine');
      });
    });
  q.command('reprocess')
    .description('send a quarantined file back under incoming/ (as it is, or replaced by a fixed FILE) and ingest it')
    .argument('<key>', 'quarantine/NAME (or NAME), as `quarantine list` shows it')
    .addOption(new Option('--kind <kind>', 'orders or members (default: what the ledger recorded, else the file name)').choices(['orders', 'members']))
    .option('--file <path>', 'a fixed export to ingest in its place (same name)')
    .option('--json', 'the summary as JSON')
    .action(async (key: string, o: { kind?: 'orders' | 'members'; file?: string; json?: boolean }) => {
      if (o.file) inputPath(o.file, { option: '--file' });
      let failed = false;
      await withRuntime(program, async (rt) => {
        const file = o.file;
        const r = await reprocessQuarantined(
          key,
          { files: rt.adapters.files, ledger: rt.adapters.ledgerEntries, awaitResult: (k, etag) => awaitIngest(rt, k, etag) },
          {
            ...(o.kind ? { kind: o.kind } : {}),
            ...(file ? { replacement: (target: string) => rt.adapters.files.upload(target, createReadStream(file), statSync(file).size) } : {}),
          },
        );
        failed = r.summary.status === 'quarantined';
        if (o.json) console.log(JSON.stringify({ ...r.summary, reprocessed: true, quarantineCleared: r.cleared }));
        else {
          console.log(`${summaryLine(r.summary, rt.where)} (ingested again as ${r.key})${warningLines(r.summary)}`);
          if (r.cleared) console.log(`removed ${rt.where(key.startsWith('quarantine/') ? key : `quarantine/${key}`)} and its reason`);
        }
      });
      if (failed) process.exitCode = 1;
    });
}
