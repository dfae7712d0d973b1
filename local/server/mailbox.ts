/**
 * The mailbox page: what each email subscriber of the simulated SNS topics received (each subscription's
 * filter policy applied at Publish), newest first, with the links in each message made clickable. Messages
 * published while a topic had no subscription are listed as undelivered. Escaped by construction (hono/html).
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { SnsMessage } from '../cloud/world';
import type { LocalRuntime } from '../runtime';

export interface Subscriber {
  endpoint: string;
  topicArn: string;
  messages: SnsMessage[];
}

/** Every email subscriber of every topic in the runtime's account and region, with what was delivered to them. */
export function subscribers(runtime: LocalRuntime): Subscriber[] {
  const { account, region } = runtime.definitions;
  const topics = runtime.cloud.world.hasAccount(account) ? Object.values(runtime.cloud.world.region(account, region).topics) : [];
  const mailbox = runtime.cloud.mailbox();
  return topics.flatMap((topic) =>
    (topic.subscriptions ?? []).map((s) => ({
      endpoint: s.endpoint,
      topicArn: topic.arn,
      messages: mailbox.filter((m) => m.topicArn === topic.arn && (m.deliveredTo ?? []).includes(s.endpoint)).reverse(),
    })),
  );
}

const LINK = /(https?:\/\/[^\s<>"']+)/g;

function withLinks(text: string): (HtmlEscapedString | Promise<HtmlEscapedString> | string)[] {
  const parts: (HtmlEscapedString | Promise<HtmlEscapedString> | string)[] = [];
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    parts.push(text.slice(last, match.index));
    parts.push(html`<a href="${match[0]}">${match[0]}</a>`);
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

export function mailboxPage(list: Subscriber[], now: Date) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local mailbox</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem}pre{white-space:pre-wrap;background:#f6f6f6;padding:.6rem}h2{border-bottom:1px solid #ddd}</style>
</head><body>
<h1>Local mailbox</h1>
<p>Emails of the simulated SNS topics, per subscriber (each subscription's filter policy applied). Simulated time: ${now.toISOString()}.</p>
${list.length === 0 ? html`<p>No email subscriptions.</p>` : ''}
${list.map(
  (s) => html`<section class="subscriber" data-endpoint="${s.endpoint}">
<h2>${s.endpoint}</h2>
<p>${s.messages.length} message(s)</p>
${s.messages.map(
  (m) => html`<article class="message">
<h3>${m.subject ?? '(no subject)'}</h3>
<p><small>${new Date(m.timestamp).toISOString()}</small></p>
<pre>${withLinks(m.message)}</pre>
</article>`,
)}
</section>`,
)}
</body></html>`;
}
