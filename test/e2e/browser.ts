/**
 * A real browser for end-to-end tests: Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run` with
 * apt-get when missing) driven by playwright-core, whose own browser download is not reachable here.
 * Headless, no sandbox (containers run as root), nothing fetched from the network by the browser itself.
 * Screenshots go to test/artifacts/ (gitignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.GAMI_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(__dirname, '..', 'artifacts');

/** Launch the browser; fails with what to install when it is missing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set GAMI_CHROMIUM`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** Path of a screenshot under test/artifacts/ (the directory is created). */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
