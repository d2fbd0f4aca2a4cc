// What a user does in the web shell's window, by the accessible names the UI gives its controls
// (issue 4's table): open the app, choose a model and a precision, send, wait for the reply,
// change a conversation's settings. Every wait is for a condition, never a fixed time.
import type { Browser, Locator, Page } from 'playwright-core';

/** One UI step (a click that waits for a button to enable, a model build): generous for a busy machine. */
export const STEP_TIMEOUT_MS = 60_000;
/** A whole reply of the demo model, at most a few hundred tokens. */
export const REPLY_TIMEOUT_MS = 90_000;
const POLL_MS = 40;

/** A new page at the printed address (the token in the URL; the server then keeps it in a cookie). */
export async function openApp(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  await page.goto(url);
  await modelSelect(page).waitFor();
  return page;
}

export function modelSelect(page: Page): Locator {
  // Exact: the Fine-tune page has a "Base model" dropdown too.
  return page.getByRole('combobox', { name: 'Model', exact: true });
}

export function precisionSelect(page: Page): Locator {
  return page.getByRole('combobox', { name: 'Quantization' });
}

/** The top bar's status of the model process: what is loaded, where, and its memory. */
export function modelStatus(page: Page): Locator {
  return page.getByRole('status', { name: 'Model process' });
}

export function assistantArticles(page: Page): Locator {
  return page.getByRole('article', { name: 'Assistant' });
}

export function userArticles(page: Page): Locator {
  return page.getByRole('article', { name: 'You' });
}

/** Chooses a model by its label in the "Model" dropdown (selectOption waits for the option). */
export async function chooseModel(page: Page, label: string): Promise<void> {
  await modelSelect(page).selectOption({ label });
  // The plan arrives, and the dropdown enables with a precision chosen.
  await precisionSelect(page).and(page.locator(':enabled')).waitFor();
}

/** The precisions the "Quantization" dropdown offers (its options' values), once the plan is in. */
export async function offeredPrecisions(page: Page): Promise<string[]> {
  const select = precisionSelect(page);
  await select.and(page.locator(':enabled')).waitFor();
  const values: string[] = [];
  for (const option of await select.locator('option').all()) {
    const value = await option.getAttribute('value');
    if (value) values.push(value);
  }
  return values;
}

/** The text of a message, without its notices and stats line. */
export async function messageText(article: Locator): Promise<string> {
  return (await article.locator('.message-text').innerText()).trim();
}

/**
 * Types a message and presses "Send" (which waits for the button to enable, e.g. while the
 * chosen variant builds). Resolves with the reply's article once it is shown, streaming or not.
 */
export async function sendMessage(page: Page, text: string): Promise<Locator> {
  const before = await assistantArticles(page).count();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  // The box is cleared once the server took the message, and the reply's article appears.
  const reply = assistantArticles(page).nth(before);
  await reply.waitFor();
  await box.and(page.locator('textarea:placeholder-shown')).waitFor();
  return reply;
}

/** Waits until the article's reply is no longer being written (aria-busy false). */
export async function waitForReplyToEnd(article: Locator): Promise<void> {
  await article.and(article.page().locator('[aria-busy="false"]')).waitFor({ timeout: REPLY_TIMEOUT_MS });
}

/** Waits until the reply, still streaming, holds at least `chars` characters. */
export async function waitForStreamingText(article: Locator, chars: number): Promise<string> {
  const deadline = Date.now() + REPLY_TIMEOUT_MS;
  for (;;) {
    const busy = await article.getAttribute('aria-busy');
    const text = await messageText(article);
    if (busy === 'true' && text.length >= chars) return text;
    if (busy === 'false') throw new Error(`the reply ended before it held ${chars} characters (it holds ${text.length}): ${JSON.stringify(text.slice(0, 200))}`);
    if (Date.now() > deadline) throw new Error(`the reply did not reach ${chars} characters within ${REPLY_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export interface ReplySample {
  busy: boolean;
  length: number;
}

/** Watches a reply from now until it ends: its length at each look, and whether it was still streaming. */
export async function watchReply(article: Locator): Promise<ReplySample[]> {
  const samples: ReplySample[] = [];
  const deadline = Date.now() + REPLY_TIMEOUT_MS;
  for (;;) {
    // aria-busy first: a reply seen busy was still streaming when its text was read after.
    const busy = (await article.getAttribute('aria-busy')) === 'true';
    samples.push({ busy, length: (await messageText(article)).length });
    if (!busy) return samples;
    if (Date.now() > deadline) throw new Error(`the reply was still streaming after ${REPLY_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export type SettingName =
  | 'System prompt'
  | 'Temperature'
  | 'Top-p'
  | 'Top-k'
  | 'Min-p'
  | 'Repetition penalty'
  | 'Seed'
  | 'Stop strings'
  | 'Max tokens'
  | 'Context length';
/** The settings typed as text; the others are number fields (spinbuttons). */
const TEXT_SETTINGS: readonly SettingName[] = ['System prompt', 'Seed', 'Stop strings'];

/** Opens the conversation's settings, fills the given fields, saves, and closes the panel again. */
export async function saveSettings(page: Page, values: Partial<Record<SettingName, string>>): Promise<void> {
  const panel = page.getByRole('form', { name: 'Conversation settings' });
  if (!(await panel.isVisible())) await page.getByRole('button', { name: 'Settings', exact: true }).click();
  for (const [name, value] of Object.entries(values)) {
    await panel.getByRole(TEXT_SETTINGS.includes(name as SettingName) ? 'textbox' : 'spinbutton', { name, exact: true }).fill(value);
  }
  await panel.getByRole('button', { name: 'Save settings', exact: true }).click();
  await panel.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await panel.getByRole('button', { name: 'Close', exact: true }).click();
}

export async function newChat(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await page.getByRole('heading', { name: 'New chat' }).waitFor();
}
