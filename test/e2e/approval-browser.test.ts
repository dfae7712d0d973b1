/**
 * The approval, in a real browser: the local server's mailbox page → an approver's link → the evidence page
 * (read, screenshot under test/artifacts/) → the box ticked → Approve; the other approver likewise; the run
 * continues and the image moves to distributing. The same Lambda handler as on AWS serves the pages (through the
 * API Gateway adapter); the browser enforces the page's CSP, so a page that needed script would break here.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { followExecution } from '../../bin/follow';
import { TAG } from '../../pipeline/tags';
import { startRuntime } from '../workflow/runtime-fixture';
import { launchBrowser } from './browser';

export const ARTIFACTS = join(__dirname, '..', 'artifacts');

describe('approval in a real browser (Chromium)', () => {
  let browser: Browser;
  let env: Awaited<ReturnType<typeof startRuntime>>;
  beforeAll(async () => {
    [browser, env] = await Promise.all([launchBrowser(), startRuntime({ approval: 'none' })]);
  });
  afterAll(async () => {
    await browser?.close();
    await env?.stop();
  });

  it('follows each approver\'s link from the mailbox, reads the evidence, approves; the execution continues', async () => {
    const { executionArn } = await env.sfn.send(new StartExecutionCommand({ stateMachineArn: env.stateMachineArn, input: '{}' }));
    const page = await browser.newPage();
    const shown: string[] = [];

    /** One approver in the browser: mailbox → their link → the evidence → the box → Approve. */
    async function approveInBrowser(approver: string): Promise<void> {
      await page.goto(`${env.server.origin}/mailbox`);
      const mailbox = page.locator(`section[data-endpoint="${approver}"]`);
      // Each subscriber sees only their own link.
      expect(await mailbox.locator('a').count()).toBe(1);
      await mailbox.locator('a').click();
      await page.waitForSelector('form');
      shown.push(await page.locator('body').innerText());
      if (approver.startsWith('alice')) {
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, 'approval-evidence-page.png'), fullPage: true });
      }
      // Approve without the box: refused, nothing recorded.
      await page.locator('button[value="approve"]').click();
      await page.waitForLoadState();
      expect(await page.locator('h1').innerText()).toContain('Please confirm you reviewed the evidence');
      await page.goBack();
      await page.locator('input[name="reviewed"]').check();
      await page.locator('textarea[name="comment"]').fill(`reviewed in Chromium by ${approver}`);
      await page.locator('button[value="approve"]').click();
      await page.waitForLoadState();
      expect(await page.locator('body').innerText()).toContain('Your decision was recorded: approved');
    }

    let approved = false;
    // Followed as gami follows a run; once the emails are out, the approvers act (the clock held meanwhile).
    const description = await followExecution(env.sfn, executionArn!, {
      wait: async () => {
        if (!approved && env.runtime.cloud.mailbox().filter((m) => m.messageAttributes.approver).length === 2) {
          approved = true;
          await env.clock.hold(
            (async () => {
              await approveInBrowser('alice.platform@example.com');
              await approveInBrowser('bob.security@example.com');
            })(),
          );
        }
        await env.clock.sleep(60_000);
      },
    });

    expect(description.status).toBe('SUCCEEDED');
    const output = JSON.parse(description.output ?? '{}') as { approval: { approvers: { approver: string; comment: string; userAgent: string }[] } };
    expect(output.approval.approvers.map((a) => a.comment)).toEqual(['reviewed in Chromium by alice.platform@example.com', 'reviewed in Chromium by bob.security@example.com']);
    expect(output.approval.approvers[0].userAgent).toMatch(/Chrome/);
    // The evidence page showed what an approver needs: the image, the gate table, the base image, the components.
    expect(shown[0]).toMatch(/web-base/);
    expect(shown[0]).toMatch(/CRITICAL/);
    expect(shown[0]).toMatch(/os-update/);
    expect(shown[0]).toMatch(/I have reviewed the evidence for web-base v5/);
    const image = Object.values(env.runtime.cloud.world.region('111111111111', 'eu-west-1').images).find((i) => i.tags[TAG.execution] === executionArn);
    expect(image?.tags[TAG.status]).toBe('approved');
  });
});
