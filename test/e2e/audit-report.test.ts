/**
 * The HTML audit report in a real browser: opened from disk with every network request refused (it must be
 * one self-contained file), with scripts disabled (it needs none); the timeline and the state machine diagram
 * render with real sizes; a full-page screenshot is saved to test/artifacts/audit-report.png.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildAuditReport } from '../../tasks/audit/report';
import { renderHtml } from '../../tasks/audit/render';
import { auditFixture } from '../unit/audit-fixture';
import { artifactPath } from './artifacts';
import { launchBrowser } from './browser';

it('renders the HTML report self-contained, without script, and saves a screenshot', async () => {
  // Prepare: a report of an approved run (fixture data in the shapes the API and the registry return).
  const dir = mkdtempSync(join(tmpdir(), 'gami-audit-html-'));
  const input = auditFixture('approved');
  const file = join(dir, 'report.html');
  writeFileSync(file, renderHtml(buildAuditReport(input), input.definition));
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    const page = await context.newPage();

    // Act
    await page.goto(pathToFileURL(file).href);
    const path = artifactPath('audit-report.png');
    await page.screenshot({ path, fullPage: true });

    // Assess
    expect(requests).toEqual([]);
    expect(await page.title()).toBe('Audit report: web-base v5 (approved-run)');
    const diagram = await page.locator('svg.state-machine').boundingBox();
    expect(diagram?.height).toBeGreaterThan(200); // eight states, 30 px each
    expect(await page.locator('svg.state-machine g.node.visited').count()).toBeGreaterThan(3);
    expect(await page.locator('svg.timeline rect.bar').count()).toBe(input.registry.filter((i) => String(i.sk).includes('#STAGE#')).length);
    expect(await page.locator('#approval + p').innerText()).toBe('Outcome: approved; 2 of 2 approvers needed');
    expect(await page.getByRole('cell', { name: '203.0.113.7' }).count()).toBe(1);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
