// A conversation's system prompt and generation parameters, saved with conversations.update.
// Fields are kept as typed text until saved (state/chat-settings-form.ts checks them, not the
// browser) so a half-typed "0." is not fought over. Each control has an explicit name: a <select> inside a
// <label> would otherwise add its option text.
import { useState } from 'react';
import { OverflowPolicySchema } from '../../../main/common/contracts/chat.ts';
import type { ChatParams, Conversation, OverflowPolicy } from '../../../main/common/contracts/chat.ts';
import { NUMBER_FIELDS, paramsFromSettingsForm, SEED_HELP, settingsFormOf, STOP_HELP, type SettingsForm } from '../state/chat-settings-form.ts';
import './SettingsPanel.css';

const OVERFLOW_TEXT: Record<OverflowPolicy, string> = {
  stop: 'Stop and say so',
  'truncate-middle': 'Leave out middle turns (keep the system prompt and the latest turns)',
  'rolling-window': 'Rolling window (drop the oldest turns)',
};

export interface SettingsPanelProps {
  conversation: Conversation;
  onSave: (systemPrompt: string, params: ChatParams) => Promise<boolean>;
  onClose: () => void;
}

export function SettingsPanel({ conversation, onSave, onClose }: SettingsPanelProps) {
  const [systemPrompt, setSystemPrompt] = useState(conversation.systemPrompt);
  const [form, setForm] = useState<SettingsForm>(() => settingsFormOf(conversation.params));
  const [overflow, setOverflow] = useState<OverflowPolicy>(conversation.params.overflow);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  const save = async () => {
    const result = paramsFromSettingsForm(form, { ...conversation.params, overflow });
    if (!result.ok) {
      setProblem(result.problem);
      return;
    }
    setProblem(null);
    setSaved(await onSave(systemPrompt, result.params));
  };

  const edit = (change: (form: SettingsForm) => SettingsForm) => {
    setSaved(false);
    setForm(change);
  };

  return (
    <form
      className="settings-panel"
      aria-label="Conversation settings"
      // The form's own checks name the setting and its range; the browser's would stop the submit first.
      noValidate
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
              aria-describedby={`settings-help-${f.key}`}
              min={f.min}
              max={f.max}
              step={f.step}
              value={form.numbers[f.key]}
              onChange={(e) => {
                const text = e.target.value;
                edit((current) => ({ ...current, numbers: { ...current.numbers, [f.key]: text } }));
              }}
            />
            <small id={`settings-help-${f.key}`}>{f.help}</small>
          </label>
        ))}
        <label>
          <span>Seed</span>
          <input
            type="text"
            inputMode="numeric"
            aria-label="Seed"
            aria-describedby="settings-help-seed"
            placeholder="random"
            value={form.seed}
            onChange={(e) => {
              const text = e.target.value;
              edit((current) => ({ ...current, seed: text }));
            }}
          />
          <small id="settings-help-seed">{SEED_HELP}</small>
        </label>
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
      <label className="settings-stop">
        <span>Stop strings</span>
        <textarea
          aria-label="Stop strings"
          aria-describedby="settings-help-stop"
          rows={2}
          value={form.stop}
          onChange={(e) => {
            const text = e.target.value;
            edit((current) => ({ ...current, stop: text }));
          }}
        />
        <small id="settings-help-stop">{STOP_HELP}</small>
      </label>
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
