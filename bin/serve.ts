/**
 * `gami serve`: the local server (local/server) on the persisted local account of `npm start` (.gami): the
 * mailbox page with every email the runs sent, and the approval pages behind the same API Gateway adapter and
 * Lambda handler as on AWS. Executions live in the process that started them, so a decision here reaches a run
 * only if this process runs it; for the demo's own run, the demo serves these pages itself while it waits.
 * The account is live while it serves: its schedules, scheduled rules and alarms fire in real time
 * (local/events/timers.ts), so a scheduled run or a freshness alarm lands in the mailbox as it would on AWS.
 * Runs until Ctrl-C.
 */
import { buildApp, LOCAL_CONTEXT } from '../infra/app';
import { ScaledClock } from '../local/clock';
import { savedWorldTime } from '../local/cloud';
import { LocalRuntime } from '../local/runtime';
import { startLocalServer } from '../local/server';
import { announceServer, openStateDir } from '../local/state-dir';

export async function serveLocal(options: { pipelineFile: string; port: number; stateDir: string; out: (line: string) => void; until?: Promise<void> }): Promise<void> {
  const stateDir = openStateDir(options.stateDir, { command: 'gami serve' });
  try {
    // Wall-clock pace, from the account's own time (a fast demo clock may have run ahead of the wall).
    const clock = new ScaledClock(1, Math.max(Date.now(), savedWorldTime(options.stateDir) ?? 0));
    const { app } = buildApp({ files: [options.pipelineFile], nag: false, context: LOCAL_CONTEXT, builtinCloudFormationValidation: false });
    // The account live, in real time: scheduled rules (the freshness report), schedules (the pipeline's, the
    // retention sweep) and alarms fire as they would on AWS.
    const runtime = await LocalRuntime.start({ app, clock, stateDir: options.stateDir, timers: true });
    try {
      const server = await startLocalServer({ runtime, port: options.port });
      announceServer(options.stateDir, server.origin);
      options.out(`serving ${server.origin}/mailbox (the local account in ${options.stateDir}, live: schedules, the hourly freshness report and alarms run on the wall clock); Ctrl-C stops`);
      await (options.until ?? new Promise<void>((resolve) => process.once('SIGINT', () => resolve())));
      await server.close();
    } finally {
      await runtime.stop();
    }
  } finally {
    stateDir.release();
  }
}
