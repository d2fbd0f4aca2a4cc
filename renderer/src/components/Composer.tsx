// The message box: Enter sends, Shift+Enter adds a newline, Esc stops the reply being written.
// The text is cleared only once the message was accepted, so a failed send loses nothing.
import { useState } from 'react';
import type { KeyboardEvent } from 'react';
import { canSend, sendBlocker } from '../format/send-blocker.ts';

export interface ComposerProps {
  streaming: boolean;
  sending: boolean;
  modelId: string | null;
  buildingPrecision: string | null;
  onSend: (text: string) => Promise<boolean>;
  onStop: () => void;
}

export function Composer({ streaming, sending, modelId, buildingPrecision, onSend, onStop }: ComposerProps) {
  const [text, setText] = useState('');
  const conditions = { text, modelId, streaming, sending, buildingPrecision };
  const blocker = sendBlocker(conditions);
  const sendable = canSend(conditions);

  const submit = async () => {
    if (!canSend(conditions)) return;
    if (await onSend(text)) setText('');
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    } else if (e.key === 'Escape' && streaming) {
      e.preventDefault();
      onStop();
    }
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <textarea
        aria-label="Message"
        aria-describedby="composer-hint"
        placeholder="Message (Enter sends, Shift+Enter for a new line, Esc stops)"
        rows={3}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="composer-actions">
        {streaming && (
          <button type="button" className="stop" onClick={onStop}>
            Stop
          </button>
        )}
        <button type="submit" className="send" disabled={!sendable}>
          Send
        </button>
      </div>
      <p id="composer-hint" className="composer-hint">
        {blocker ?? ''}
      </p>
    </form>
  );
}
