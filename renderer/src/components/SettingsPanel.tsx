// A conversation's system prompt and generation parameters, saved with conversations.update.
// Numbers are kept as typed text until saved so a half-typed "0." is not fought over. Each
// control has an explicit name: a <select> inside a <label> would otherwise add its option text.
import { useState } from 'react';
import { OverflowPolicySchema } from '../../../main/common/contracts/chat.ts';
import type { ChatParams, Conversation, OverflowPolicy } from '../../../main/common/contracts/chat.ts';
import './SettingsPanel.css';

const OVERFLOW_TEXT: Record<OverflowPolicy, string> = {
  stop: 'Stop and say so',
  'truncate-middle': 'Leave out middle turns (keep the system prompt and the latest turns)',
  'rolling-window': 'Rolling window (drop the oldest turns)',
};

interface NumberField {
  key: 'temperature' | 'topP' | 'maxTokens' | 'contextLength';
  label: string;
  min: number;
  max: number;
  step: number;
  integer: boolean;
}

const NUMBER_FIELDS: NumberField[] = [
  { key: 'temperature', label: 'Temperature', min: 0, max: 5, step: 0.05, integer: false },
  { key: 'topP', label: 'Top-p', min: 0.01, max: 1, step: 0.01, integer: false },
  { key: 'maxTokens', label: 'Max tokens', min: 1, max: 32768, step: 1, integer: true },
  { key: 'contextLength', label: 'Context length', min: 64, max: 1_048_576, step: 64, integer: true },
];

export interface SettingsPanelProps {
  conversation: Conversation;
  onSave: (systemPrompt: string, params: ChatParams) => Promise<boolean>;
  onClose: () => void;
}

export function SettingsPanel({ conversation, onSave, onClose }: SettingsPanelProps) {
  const [systemPrompt, setSystemPrompt] = useState(conversation.systemPrompt);
  const [numbers, setNumbers] = useState(() => Object.fromEntries(NUMBER_FIELDS.map((f) => [f.key, String(conversation.params[f.key])])));
  const [overflow, setOverflow] = useState<OverflowPolicy>(conversation.params.overflow);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  const save = async () => {
    const params: Partial<ChatParams> = { overflow };
    for (const field of NUMBER_FIELDS) {
      const value = Number(numbers[field.key]);
      if (!Number.isFinite(value) || value < field.min || value > field.max || (field.integer && !Number.isInteger(value))) {
        setProblem(`${field.label} must be ${field.integer ? 'a whole number' : 'a number'} from ${field.min} to ${field.max}.`);
        return;
      }
      params[field.key] = value;
    }
    setProblem(null);
    setSaved(await onSave(systemPrompt, { ...conversation.params, ...params }));
  };

  return (
    <form
      className="settings-panel"
      aria-label="Conversation settings"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label className="settings-prompt">
        <span>System prompt</span>
        <textarea aria-label="System prompt" rows={3} value={systemPrompt} onChange={(e) => setSystemPrompt(e.target.value)} />
      </label>
      <div className="settings-numbers">
        {NUMBER_FIELDS.map((f) => (
          <label key={f.key}>
            <span>{f.label}</span>
            <input
              type="number"
              aria-label={f.label}
              min={f.min}
              max={f.max}
              step={f.step}
              value={numbers[f.key]}
              onChange={(e) => {
                setSaved(false);
                setNumbers((n) => ({ ...n, [f.key]: e.target.value }));
              }}
            />
          </label>
        ))}
        <label>
          <span>Overflow policy (when the context is full)</span>
          <select aria-label="Overflow policy" value={overflow} onChange={(e) => setOverflow(OverflowPolicySchema.parse(e.target.value))}>
            {OverflowPolicySchema.options.map((p) => (
              <option key={p} value={p}>
                {OVERFLOW_TEXT[p]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {problem && (
        <p className="settings-problem" role="alert">
          {problem}
        </p>
      )}
      <div className="settings-actions">
        <button type="submit">Save settings</button>
        <button type="button" onClick={onClose}>
          Close
        </button>
        {saved && <span role="status">Saved.</span>}
      </div>
    </form>
  );
}
