/**
 * A real browser for tests: Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run` with apt-get when
 * missing — Playwright's own browser download is not reachable here) driven by playwright-core. Headless, no
 * sandbox (containers), one browser per call; close it in afterAll. Shared by the approval browser test and any
 * later page test (audit reports).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.GAMI_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install -y chromium; .ci/run does) or set GAMI_CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
