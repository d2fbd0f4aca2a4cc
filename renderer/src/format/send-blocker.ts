// Why "Send" is disabled right now, in words shown beside it; null when sending is possible.
export interface SendConditions {
  text: string;
  modelId: string | null;
  streaming: boolean;
  sending: boolean;
  /** A label for the variant being built for the chosen precision, e.g. "int8"; null when none. */
  buildingPrecision: string | null;
}

export function sendBlocker(c: SendConditions): string | null {
  if (c.streaming) return 'A reply is being written; press Stop (or Esc) to end it.';
  if (c.sending) return 'Sending…';
  if (!c.modelId) return 'Choose a model first.';
  if (c.buildingPrecision) return `Building the ${c.buildingPrecision} variant…`;
  return null;
}

export function canSend(c: SendConditions): boolean {
  return sendBlocker(c) === null && c.text.trim() !== '';
}
