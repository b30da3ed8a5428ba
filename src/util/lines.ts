// Splits a chunked text stream into whole lines.
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      parts.forEach(onLine);
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}
