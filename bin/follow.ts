/**
 * Follow a Step Functions execution through the public API (DescribeExecution + GetExecutionHistory), as
 * `gami` does against AWS: the same code follows a local run. Calls `onEvent` once per new history event,
 * in order, and resolves with the final description.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';

export interface FollowOptions {
  /** Wait between polls; default 500 ms of wall time (DescribeExecution is limited to 15/s on AWS). */
  wait?: () => Promise<void>;
  onEvent?: (event: HistoryEvent) => void;
}

export async function followExecution(client: SFNClient, executionArn: string, options: FollowOptions = {}): Promise<DescribeExecutionCommandOutput> {
  const wait = options.wait ?? (() => new Promise<void>((resolve) => setTimeout(resolve, 500)));
  let lastEventId = 0;
  for (;;) {
    const description = await client.send(new DescribeExecutionCommand({ executionArn }));
    let nextToken: string | undefined;
    do {
      const page = await client.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
      for (const event of page.events ?? []) {
        if ((event.id ?? 0) <= lastEventId) continue;
        lastEventId = event.id ?? lastEventId;
        options.onEvent?.(event);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    if (description.status !== 'RUNNING' && description.status !== 'PENDING_REDRIVE') return description;
    await wait();
  }
}
