/**
 * An approver, as a program: follows a personal link the way a person's browser would — GET the evidence
 * page, then POST its form (the hidden fields with the page's CSRF token, the ticked "I have reviewed" box, the
 * chosen button, a comment) from the page's own origin. Used by the demo (`--approve-as`, CI) and the tests,
 * so they decide through the real HTTP endpoint and every check the app makes.
 */
import type { SnsMessage } from '../local/cloud/world';

export interface ApprovalLink {
  approver: string;
  url: string;
  subject?: string;
}

/** The personal approval links in `messages` (SNS emails carrying the `approver` attribute), oldest first. */
export function approvalLinks(messages: readonly SnsMessage[]): ApprovalLink[] {
  return messages.flatMap((m) => {
    const approver = m.messageAttributes.approver?.StringValue;
    const url = /(https?:\/\/\S+\/approvals\/\S+)/.exec(m.message)?.[1];
    return approver && url ? [{ approver, url, subject: m.subject }] : [];
  });
}

function unescape(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export interface PageDecision {
  /** Status of the POST's answer (200: recorded). */
  status: number;
  /** The answer page's text, tags removed. */
  text: string;
}

/**
 * Decide as the link's approver through the page: GET, then POST the form with `decision`, `comment` and the
 * box ticked. Throws when the page offers no form (already decided, expired, closed), with the page's heading.
 */
export async function decideThroughPage(url: string, decision: 'approve' | 'reject', comment = '', fetchImpl: typeof fetch = fetch): Promise<PageDecision> {
  const page = await fetchImpl(url, { headers: { 'user-agent': 'gami-approver/1 (demo)' } });
  const body = await page.text();
  const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(body);
  if (!form || !/name="reviewed"/.test(form[2])) {
    const heading = /<h1>([\s\S]*?)<\/h1>/.exec(body)?.[1] ?? `HTTP ${page.status}`;
    throw new Error(`no decision form at ${new URL(url).pathname}: ${unescape(heading)}`);
  }
  const fields = new URLSearchParams();
  for (const input of form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.append(input[1], unescape(input[2]));
  const reviewed = /<input type="checkbox" name="reviewed" value="([^"]*)">/.exec(form[2]);
  if (reviewed) fields.append('reviewed', unescape(reviewed[1]));
  fields.append('comment', comment);
  fields.append('decision', decision);
  const target = new URL(unescape(form[1]), url);
  const answer = await fetchImpl(target, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: target.origin,
      'sec-fetch-site': 'same-origin',
      'user-agent': 'gami-approver/1 (demo)',
    },
    body: fields.toString(),
  });
  const text = (await answer.text()).replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  return { status: answer.status, text };
}
