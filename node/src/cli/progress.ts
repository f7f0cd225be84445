/**
 * Progress for long-running commands, on stderr so stdout stays machine-readable: a live line
 * with count and rate on a terminal, a line every few seconds otherwise (CI logs).
 */
export function progressReporter(unit: string, stream: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  let lastPrint = 0;
  let count = 0;
  let printedCount = -1;
  const line = () => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(count / seconds) : 0;
    return `${count} ${unit} (${rate} ${unit}/s)`;
  };
  return {
    update(current: number) {
      count = current;
      const now = Date.now();
      if (stream.isTTY) {
        if (now - lastPrint > 100) {
          stream.write(`\r${line()}   `);
          lastPrint = now;
        }
      } else if (now - lastPrint > 5000) {
        stream.write(`${line()}\n`);
        lastPrint = now;
        printedCount = count;
      }
    },
    done() {
      if (stream.isTTY) stream.write(`\r${line()}   \n`);
      else if (count !== printedCount) stream.write(`${line()}\n`);
    },
  };
}
