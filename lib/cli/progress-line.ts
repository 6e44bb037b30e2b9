/**
 * A progress line redrawn in place, only when the stream is a terminal: a pipe or a log file would get every
 * redraw as carriage-return litter. When it is not, progress is left out; the command's result lines still come.
 */
export function progressLine(stream: NodeJS.WriteStream = process.stderr, enabled = true) {
  const on = enabled && stream.isTTY === true;
  return {
    on,
    show(msg: string): void {
      if (on) stream.write(`\r\x1b[K${msg}`);
    },
    /** Clears the line, so that what is printed next starts on a clean line. */
    clear(): void {
      if (on) stream.write('\r\x1b[K');
    },
    /** Leaves the last progress on its line (the next output goes below). */
    keep(): void {
      if (on) stream.write('\n');
    },
  };
}
