/**
 * Approvals of a run on the local runtime, shared by `gami demo` (npm start) and `gami start --local`: the local
 * approval server (the deployed approval handler behind an API Gateway-shaped adapter, and the mailbox page), and
 * what happens to each approval email: its link printed, then approved through the real endpoint — GET the page,
 * POST its form with the CSRF token and the ticked box — as the chosen approvers, or left to a person in a browser.
 */
import { ScaledClock, type Clock } from '../local/clock';
import type { LocalRuntime } from '../local/runtime';
import { startLocalServer, type LocalServer } from '../local/server';
import { approvalLinks, decideThroughPage } from './approval-client';

/** 'all': every approver through the endpoint; a list: those; 'browser': print the links and wait for people. */
export type ApproveAs = 'all' | 'browser' | string[];

/** The local server on `port`, or on any free port when that one is taken (another demo, gami serve). */
export async function startApprovalServer(runtime: LocalRuntime, port = 8787): Promise<LocalServer> {
  try {
    return await startLocalServer({ runtime, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return startLocalServer({ runtime, port: 0 });
  }
}

/**
 * A function to call while following a run: prints each new approval link (`say`) and decides as `approveAs`.
 * Links already in the mailbox when it is made (earlier runs) are left alone.
 */
export function approvalHandler(runtime: LocalRuntime, server: LocalServer, approveAs: ApproveAs, say: (line: string) => void, comment: string): () => Promise<void> {
  const seen = new Set(approvalLinks(runtime.cloud.mailbox()).map((l) => l.url));
  return async () => {
    const fresh = approvalLinks(runtime.cloud.mailbox()).filter((l) => !seen.has(l.url));
    for (const link of fresh) {
      seen.add(link.url);
      say(`approval link for ${link.approver}: ${link.url}`);
      const auto = approveAs === 'all' || (Array.isArray(approveAs) && approveAs.some((a) => a.toLowerCase() === link.approver.toLowerCase()));
      if (!auto) continue;
      const answer = await decideThroughPage(link.url, 'approve', comment);
      say(`${link.approver} approved through the page: HTTP ${answer.status}`);
    }
    if (fresh.length > 0 && approveAs === 'browser') say(`waiting for the approvers: open the links above (or ${server.origin}/mailbox) and decide`);
  };
}

/**
 * One poll of a followed run: decide pending approvals, then let simulated time pass. On a virtual clock the HTTP
 * round trips are held (time must not jump meanwhile); a scaled clock keeps pacing (the handler's own invocation
 * charges its modeled time, which a held clock could never pass).
 */
export async function pollWithApprovals(clock: Clock, onApprovalEmails: () => Promise<void>, pollMs: number): Promise<void> {
  await (clock instanceof ScaledClock ? onApprovalEmails() : clock.hold(onApprovalEmails()));
  await clock.sleep(pollMs);
}
