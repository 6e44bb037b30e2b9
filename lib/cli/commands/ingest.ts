import { Option, type Command } from 'commander';
import { ingestProgress } from '../../ingest/progress.ts';
import { asOfOption, inputPath, targetCheck, targetOf, withRuntime } from '../cli-support.ts';
import { summaryLine, warningLines } from '../await-ingest.ts';
import { checkUploadNames, ingestFiles } from '../ingest-files.ts';
import { progressLine } from '../progress-line.ts';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('upload order/member exports to incoming/ and process them through the bucket trigger')
    .argument('<files...>', 'CSV or CSV.gz files')
    .option('--json', 'one JSON object per file')
    .addOption(new Option('--kind <kind>', 'orders or members (default: from name or header)').choices(['orders', 'members']))
    .addOption(asOfOption())
    .action(async (files: string[], o: { json?: boolean; kind?: 'orders' | 'members'; asOf?: string }) => {
      targetCheck(targetOf(program));
      for (const f of files) inputPath(f);
      checkUploadNames(files, targetOf(program) === 'aws' ? 'aws' : 'local', o.kind);
      const progress = progressLine(process.stderr, !o.json);
      const onProgress = (p: { file: string; rows: number }) => progress.show(`  ${p.file}: ${p.rows.toLocaleString()} rows read…`);
      let failed = false;
      await withRuntime(
        program,
        async (rt) => {
          ingestProgress.on('progress', onProgress);
          try {
            for (const f of files) {
              const started = new Date().toISOString();
              const [s] = await ingestFiles(rt, [f], o.kind ? { kind: o.kind } : {});
              progress.clear();
              if (!s) continue;
              if (s.status === 'quarantined') failed = true;
              // The ledger answers for a file whose exact content was ingested before: say so instead of re-counting.
              const earlier = s.processedAt < started;
              if (o.json) console.log(JSON.stringify(earlier ? { ...s, alreadyIngested: true } : s));
              else if (earlier)
                console.log(
                  `${s.file}: identical content already ingested at ${s.processedAt}: ${s.rows} rows, ${s.applied} applied, ${s.rejected} rejected; nothing to do${warningLines(s)}`,
                );
              else console.log(summaryLine(s, rt.where) + warningLines(s));
            }
          } finally {
            ingestProgress.off('progress', onProgress);
          }
        },
        o.asOf ? { asOf: o.asOf } : {},
      );
      if (failed) process.exitCode = 1;
    });
}
