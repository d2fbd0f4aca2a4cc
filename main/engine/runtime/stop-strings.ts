// Watches streamed text for stop strings ("\nUser:", "</s>" written out as text, ...). A stop
// string can arrive split across pieces, so the end of the text that could still become one is
// held back until the next piece decides; the text before a stop string is emitted, the stop
// string and anything after it are not.

export interface StopStringResult {
  /** Text that is safe to show now. */
  text: string;
  /** True once a stop string was seen; later pieces are ignored. */
  stopped: boolean;
  /** The stop string that matched, when stopped. */
  stopString: string | null;
}

export class StopStringMatcher {
  private readonly stopStrings: readonly string[];
  private held = '';
  private matched: string | null = null;

  /** Empty strings are ignored: they would stop before the first character. */
  constructor(stopStrings: readonly string[]) {
    this.stopStrings = [...new Set(stopStrings.filter((s) => s.length > 0))];
  }

  get stopped(): boolean {
    return this.matched !== null;
  }

  push(piece: string): StopStringResult {
    if (this.matched !== null) return { text: '', stopped: true, stopString: this.matched };
    const text = this.held + piece;
    const hit = this.earliestStop(text);
    if (hit) {
      this.held = '';
      this.matched = hit.stopString;
      return { text: text.slice(0, hit.index), stopped: true, stopString: hit.stopString };
    }
    const holdLength = this.longestPartialStopAtEnd(text);
    this.held = text.slice(text.length - holdLength);
    return { text: text.slice(0, text.length - holdLength), stopped: false, stopString: null };
  }

  /** At the end of generation: the text held back, since no stop string can complete it now. */
  flush(): string {
    const text = this.held;
    this.held = '';
    return text;
  }

  /** The stop string that starts first; on equal starts the longest, so a shorter prefix of it does not cut it short. */
  private earliestStop(text: string): { index: number; stopString: string } | null {
    let best: { index: number; stopString: string } | null = null;
    for (const stopString of this.stopStrings) {
      const index = text.indexOf(stopString);
      if (index < 0) continue;
      if (best === null || index < best.index || (index === best.index && stopString.length > best.stopString.length)) {
        best = { index, stopString };
      }
    }
    return best;
  }

  /** Length of the longest end of `text` that is the beginning of some stop string. */
  private longestPartialStopAtEnd(text: string): number {
    let longest = 0;
    for (const stopString of this.stopStrings) {
      const max = Math.min(stopString.length - 1, text.length);
      for (let length = max; length > longest; length--) {
        if (text.endsWith(stopString.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
