import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';

/** Request and capacity counters, fed from ReturnConsumedCapacity (benchmarks, cost checks). */
export class CapacityMeter {
  requests = 0;
  readUnits = 0;
  writeUnits = 0;
  itemsWritten = 0;
  itemsRead = 0;

  add(kind: 'read' | 'write', c: ConsumedCapacity | undefined): void {
    this.requests++;
    const units = c?.CapacityUnits ?? (kind === 'read' ? c?.ReadCapacityUnits : c?.WriteCapacityUnits) ?? 0;
    if (kind === 'read') this.readUnits += units;
    else this.writeUnits += units;
  }
}
