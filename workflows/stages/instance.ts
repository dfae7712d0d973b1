/**
 * Sub-chains shared by Bake and Test: wait until an instance's SSM agent is online, and run a list of
 * component steps on it through SSM RunCommand, one at a time, each polled until done.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { LoadedComponent } from '../../pipeline/validate';
import type { ComponentStepRef } from '../../tasks/contracts';
import { catchInto, failWith, invokeTask, runArgument, stageTask, type StageContext } from './common';

/** How often and how long to wait for the SSM agent (boot + registration: 30 s to several minutes). */
export const AGENT_POLL_SECONDS = 15;
export const AGENT_MAX_POLLS = 40; // 10 minutes

/**
 * Flatten components into the steps each instance runs, in AWSTOE's order: on the builder every component's
 * build phase, then every component's validate phase; on the test instance every component's test phase.
 */
export function componentSteps(components: readonly LoadedComponent[]): { build: ComponentStepRef[]; test: ComponentStepRef[] } {
  const phase = (name: 'build' | 'validate' | 'test') =>
    components.flatMap(({ document }) =>
      document.phases
        .filter((p) => p.name === name)
        .flatMap((p) =>
          p.steps.map((s) => ({
            component: document.name,
            phase: name,
            step: s.name,
            commands: s.inputs.commands,
            timeoutSeconds: s.timeoutSeconds,
            onFailure: s.onFailure,
            maxAttempts: s.maxAttempts,
          })),
        ),
    );
  return { build: [...phase('build'), ...phase('validate')], test: phase('test') };
}

/**
 * Wait → check → ready? loop for the instance in variable `$<instanceVar>`; continues with `next`, or fails the
 * stage with InstanceNotReady after AGENT_MAX_POLLS.
 */
export function waitForAgent(ctx: StageContext, label: string, instanceVar: string, stage: string, next: sfn.IChainable): sfn.IChainable {
  const wait = sfn.Wait.jsonata(ctx.scope, `Wait For ${label}`, { time: sfn.WaitTime.duration(Duration.seconds(AGENT_POLL_SECONDS)) });
  const check = stageTask(ctx, stage, `Check ${label} Ready`, 'checkInstanceReady', {
    run: runArgument(ctx.config.name),
    instanceId: `{% $${instanceVar} %}`,
  }, { assign: { agentPolls: '{% $agentPolls + 1 %}', ready: '{% $states.result.Payload.ready %}' } });
  const notReady = failWith(
    ctx,
    `${label} Not Ready`,
    stage,
    'InstanceNotReady',
    `{% 'The SSM agent of ' & $${instanceVar} & ' did not come online within ${(AGENT_POLL_SECONDS * AGENT_MAX_POLLS) / 60} minutes' %}`,
  );
  const decide = sfn.Choice.jsonata(ctx.scope, `${label} Ready?`)
    .when(sfn.Condition.jsonata('{% $ready %}'), next)
    .when(sfn.Condition.jsonata(`{% $agentPolls < ${AGENT_MAX_POLLS} %}`), wait)
    .otherwise(notReady);
  wait.next(check).next(decide);
  return sfn.Pass.jsonata(ctx.scope, `Start Waiting For ${label}`, { assign: { agentPolls: 0, ready: false } }).next(wait);
}

/**
 * Map over `steps` (one at a time): send the step's commands, poll until the command finishes, retry while the
 * step has attempts left. A step with onFailure Abort that fails throws ComponentFailed (from checkStep); steps
 * with onFailure Continue are collected and fail the stage after the Map, as AWSTOE does.
 */
export function runSteps(
  ctx: StageContext,
  label: string,
  steps: ComponentStepRef[],
  instanceVar: string,
  stage: string,
  next: sfn.IChainable,
): sfn.IChainable {
  if (steps.length === 0) return sfn.Pass.jsonata(ctx.scope, `No ${label} Steps`).next(next);
  const run = runArgument(ctx.config.name);
  const start = sfn.Pass.jsonata(ctx.scope, `${label}: Start Step`, {
    assign: { step: '{% $states.input %}', attempt: 1 },
  });
  const send = invokeTask(ctx, `${label}: Send Step`, 'runStep', {
    run,
    registryTable: ctx.registryTable,
    instanceId: `{% $${instanceVar} %}`,
    step: '{% $step %}',
    attempt: '{% $attempt %}',
  }, { assign: { commandId: '{% $states.result.Payload.commandId %}', polls: 0 } });
  // Another invocation of this step attempt is sending its command (a duplicate delivery): wait for it.
  send.addRetry({ errors: ['StepCommandPending'], interval: Duration.seconds(5), maxAttempts: 6, backoffRate: 2, maxDelay: Duration.seconds(60) });
  // SSM returns a result ~5 s after sending; long steps (package upgrades) are polled every 30 s after that.
  const wait = sfn.Wait.jsonata(ctx.scope, `${label}: Wait For Step`, { time: sfn.WaitTime.seconds('{% $polls < 3 ? 5 : 30 %}') });
  const check = invokeTask(ctx, `${label}: Check Step`, 'checkStep', {
    run,
    instanceId: `{% $${instanceVar} %}`,
    commandId: '{% $commandId %}',
    step: '{% $step %}',
    attempt: '{% $attempt %}',
  }, { assign: { check: '{% $states.result.Payload %}', polls: '{% $polls + 1 %}' } });
  const retry = sfn.Pass.jsonata(ctx.scope, `${label}: Retry Step`, { assign: { attempt: '{% $attempt + 1 %}' } });
  const finished = sfn.Pass.jsonata(ctx.scope, `${label}: Step Finished`, {
    outputs: {
      component: '{% $step.component %}',
      phase: '{% $step.phase %}',
      step: '{% $step.step %}',
      status: '{% $check.status %}',
      attempts: '{% $attempt %}',
      outputTail: '{% $check.outputTail %}',
    },
  });
  const timedOut = sfn.Fail.jsonata(ctx.scope, `${label}: Step Timed Out`, {
    error: 'ComponentFailed',
    cause: `{% 'Component ' & $step.component & ', phase ' & $step.phase & ', step ' & $step.step & ': no result within ' & $step.timeoutSeconds & ' s (command ' & $commandId & ')' %}`,
  });
  const decide = sfn.Choice.jsonata(ctx.scope, `${label}: Step Done?`)
    // The command's own executionTimeout ends it; allow a few more polls for SSM to report before giving up.
    .when(sfn.Condition.jsonata(`{% $check.status = 'InProgress' and $polls < 3 + $step.timeoutSeconds / 30 + 6 %}`), wait)
    .when(sfn.Condition.jsonata(`{% $check.status = 'InProgress' %}`), timedOut)
    .when(sfn.Condition.jsonata('{% $check.status = \'Failed\' and $check.retry %}'), retry)
    .otherwise(finished);
  start.next(send).next(wait).next(check).next(decide);
  retry.next(send);

  const map = sfn.Map.jsonata(ctx.scope, `Run ${label} Steps`, {
    items: sfn.ProvideItems.jsonArray(steps),
    maxConcurrency: 1,
    assign: { [`${label.toLowerCase()}Steps`]: '{% $states.result %}' },
  });
  map.itemProcessor(start);
  catchInto(ctx, map, stage);

  const continued = failWith(
    ctx,
    `${label} Steps Failed`,
    stage,
    'ComponentFailed',
    `{% 'Steps failed (onFailure: Continue): ' & $join($states.input[status = 'Failed'].(component & '/' & phase & '/' & step & ' — ' & outputTail), '; ') %}`,
  );
  const passed = sfn.Choice.jsonata(ctx.scope, `${label} Steps Passed?`)
    .when(sfn.Condition.jsonata(`{% $count($states.input[status = 'Failed']) > 0 %}`), continued)
    .otherwise(next);
  map.next(passed);
  return map;
}
