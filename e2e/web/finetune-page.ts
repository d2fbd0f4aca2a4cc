// What a user does on the "Fine-tune" page, by the accessible names the page gives its
// controls: open it, fill the job's form, read the job's progress and the loss chart's point
// count (the chart exposes it as data-points), and press the job's buttons.
import type { Locator, Page } from 'playwright-core';

/** A job of the demo model takes seconds per ten steps; a slow machine may take several times that. */
export const JOB_TIMEOUT_MS = 120_000;
const POLL_MS = 100;

export async function openFineTunePage(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Fine-tune', exact: true }).click();
  await page.getByRole('heading', { name: 'Fine-tune', exact: true }).waitFor();
}

export function jobForm(page: Page): Locator {
  return page.getByRole('form', { name: 'New fine-tune job' });
}

/** Fills a parameter field by its label ("Steps", "Checkpoint every"...). */
export async function setParameter(page: Page, label: string, value: string): Promise<void> {
  await jobForm(page).getByRole('textbox', { name: label, exact: true }).fill(value);
}

export function lossChart(page: Page): Locator {
  return page.getByRole('figure', { name: 'Loss chart' });
}

/** How many train-loss points the chart plots now. */
export async function chartPoints(page: Page): Promise<number> {
  return Number(await lossChart(page).getAttribute('data-points'));
}

/** "Step 12 of 60 · about 10 s left" → 12. */
export async function shownStep(page: Page): Promise<number> {
  const text = await page.getByRole('group', { name: 'Job progress' }).locator('.job-step').innerText();
  const match = /^Step (\d+)/.exec(text);
  return match ? Number(match[1]) : 0;
}

export async function shownState(page: Page): Promise<string> {
  return (await page.getByRole('group', { name: 'Job progress' }).locator('.job-state').innerText()).trim();
}

export interface JobSample {
  /** Train-loss points the chart plots. */
  points: number;
  /** The step the progress line shows. */
  step: number;
}

/** Polls the chart and the progress line until the point count passes `test`; returns every look on the way. */
export async function waitForPoints(page: Page, test: (points: number) => boolean, timeoutMs = JOB_TIMEOUT_MS): Promise<JobSample[]> {
  const seen: JobSample[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sample = { points: await chartPoints(page), step: await shownStep(page) };
    seen.push(sample);
    if (test(sample.points)) return seen;
    if (Date.now() > deadline) throw new Error(`the loss chart did not reach the expected points within ${timeoutMs / 1000} s; last looks: ${JSON.stringify(seen.slice(-20))}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function waitForState(page: Page, state: string, timeoutMs = JOB_TIMEOUT_MS): Promise<void> {
  await page.getByRole('group', { name: 'Job progress' }).locator('.job-state').filter({ hasText: new RegExp(`^${state}$`) }).waitFor({ timeout: timeoutMs });
}
