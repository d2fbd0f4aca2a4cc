// Dim text for status lines, only where a person is looking: a pipe or a file gets plain text.

export function dim(text: string, stream: NodeJS.WriteStream): string {
  return stream.isTTY ? `\x1b[2m${text}\x1b[22m` : text;
}
