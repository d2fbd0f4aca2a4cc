// A streaming reply cut into the Markdown blocks that are finished, which later tokens can no
// longer change, and the growing tail after them. Rendering each finished block once (memoized)
// and re-parsing only the tail keeps the work per token small instead of re-parsing the whole
// reply; the reply is rendered whole once it ends.
//
// A block is finished at a blank line outside a fenced code block whose next line is complete
// and starts a new block on its own: not indented (a list item's continuation or indented code)
// and not a list item after a list (a blank line between items makes one loose list). Reference
// definitions and footnotes reach across blocks, so a text with any is not cut at all.

export interface MarkdownBlocks {
  /** Blocks no later text can change, each with its trailing blank lines. */
  finished: string[];
  /** The rest, still growing. finished.join('') + tail === the text. */
  tail: string;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const LIST_ITEM = /^([-+*]|\d{1,9}[.)])(\s|$)/;
const DEFINITION = /^ {0,3}\[[^\]\n]+\]:/m;

export function splitFinishedBlocks(text: string): MarkdownBlocks {
  if (DEFINITION.test(text)) return { finished: [], tail: text };
  const finished: string[] = [];
  let blockStart = 0;
  let lineStart = 0;
  /** The open fence's marker ("```", "~~~~"), or null outside a fence. */
  let fence: string | null = null;
  let previousBlank = false;
  let blockHasText = false;
  /** Whether the block holds a list item at its top level (so a later item may belong to it). */
  let blockHasList = false;

  for (;;) {
    const lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) break; // the last line is still being written
    const line = text.slice(lineStart, lineEnd);
    const blank = line.trim() === '';
    if (fence === null && previousBlank && !blank && blockHasText && !/^\s/.test(line) && !(blockHasList && LIST_ITEM.test(line))) {
      finished.push(text.slice(blockStart, lineStart));
      blockStart = lineStart;
      blockHasText = false;
      blockHasList = false;
    }
    if (fence === null && LIST_ITEM.test(line)) blockHasList = true;
    const marker = FENCE.exec(line)?.[1];
    if (fence === null && marker) fence = marker;
    else if (fence !== null && marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = null;
    if (!blank) blockHasText = true;
    previousBlank = blank;
    lineStart = lineEnd + 1;
  }
  return { finished, tail: text.slice(blockStart) };
}
