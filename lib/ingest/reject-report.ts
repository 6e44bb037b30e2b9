import { stringify } from 'csv-stringify/sync';
import { neutralise } from '../csv/neutralise.ts';
import type { RowError } from '../orders/order.ts';
import type { ObjectStore } from './ports.ts';

/** Streams rejected values to rejected/<name>.errors.csv, opened on the first rejection only. */
export class RejectReport {
  private writer?: ReturnType<ObjectStore['openWriter']>;
  private pending = '';
  errors = 0;

  constructor(
    private readonly objects: ObjectStore,
    readonly key: string,
  ) {}

  async add(errors: RowError[]): Promise<void> {
    if (!this.writer) {
      this.writer = this.objects.openWriter(this.key, 'text/csv; charset=utf-8');
      // BOM so Excel opens the report as UTF-8 (Chinese values and reasons).
      this.pending += '\uFEFF' + stringify([['line', 'column', 'value', 'reason']]);
    }
    this.errors += errors.length;
    this.pending += stringify(errors.map((e) => [e.line, e.column, neutralise(e.value), e.reason]));
    if (this.pending.length > 64 * 1024) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.writer && this.pending) {
      const chunk = this.pending;
      this.pending = '';
      await this.writer.write(chunk);
    }
  }

  /** Closes the report; removes a stale one from an earlier upload of the same name when nothing was rejected. */
  async close(): Promise<string | undefined> {
    if (!this.writer) {
      await this.objects.remove(this.key).catch(() => undefined);
      return undefined;
    }
    await this.flush();
    await this.writer.close();
    return this.key;
  }
}
