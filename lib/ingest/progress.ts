import { EventEmitter } from 'node:events';

/** Rows-read progress of running ingests; the local CLI listens, nobody does on AWS. */
export const ingestProgress = new EventEmitter<{ progress: [{ file: string; rows: number }] }>();
