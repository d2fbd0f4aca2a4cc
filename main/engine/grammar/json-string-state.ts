// Whether a JSON text so far ends inside a string, followed token by token. The grammar already
// guarantees the text is a valid JSON prefix, so quotes and backslashes are all it takes.
export class JsonStringState {
  private inString = false;
  private escaped = false;

  get isInString(): boolean {
    return this.inString;
  }

  push(text: string): void {
    for (const char of text) {
      if (this.escaped) this.escaped = false;
      else if (this.inString && char === '\\') this.escaped = true;
      else if (char === '"') this.inString = !this.inString;
    }
  }

  clone(): JsonStringState {
    const copy = new JsonStringState();
    copy.inString = this.inString;
    copy.escaped = this.escaped;
    return copy;
  }
}
