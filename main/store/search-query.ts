// Turns what the user types into the search box into an FTS5 MATCH expression: every typed word
// must start a word of the same title or message, so results narrow while typing ("shak"
// finds "Shakespeare"). Each word is quoted, so the user's text is never read as FTS5 syntax
// (AND, NEAR, column filters, stray quotes).

/** The MATCH expression, or null when the text holds no letter or digit to search for. */
export function ftsMatchExpression(text: string): string | null {
  const words = text.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word));
  if (words.length === 0) return null;
  return words.map((word) => `"${word.replaceAll('"', '""')}"*`).join(' ');
}
