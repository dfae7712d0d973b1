/**
 * Stage — Distribute: copy the run's image into every target region and wait until each copy is available.
 *
 *   Record Distribute Started  recordStage Distribute started {targetRegions}
 *   Copy To Regions        Map over distribution.targetRegions, MaxConcurrency = copyConcurrency; per region:
 *     Copy Image To Region copyImage {source, region, key alias, attempt, status} → {imageId, reused}
 *                          (ClientToken from execution + region + attempt; an existing copy is reused)
 *     Wait For Copy / Check Copy   checkCopy {region, imageId, deadline} → {state, snapshotIds, accountId, reason};
 *                          back-off from 60 s doubling to 5 min; deadline 6 h (Image Builder's DistributeImage
 *                          default, AWS-FACTS.md) or the time-based copy's completion time + 30 min
 *     Copy Again?          a failed attempt (the copy failed, never finished, or CopyImage was refused) is tried once
 *                          more; the iteration then returns {region, failed, reason} instead of failing, so every
 *                          region finishes and the stage names every region that failed
 *   Copies Complete?       RegionCopyFailed naming the regions, else → $regionImages = [source, ...copies]
 *   Record Distributed     recordStage Distribute {regionImages}
 *
 * Speculative copy (distribution.startBeforeApproval): `startCopiesEarly` starts the same copies (CopyImage only,
 * status pending-approval, private) as soon as the image is available, before Test, ScanGate and Approval; they
 * progress inside EC2 while those run. The Distribute stage then finds them (copyImage reuses a pending or
 * available copy of the source), tags them distributing and waits for them. A gate failure, rejection or
 * expiry sends the run down the failure path, whose `copies` action deregisters them with their snapshots.
 * (Not a Parallel state: a state inside a Parallel branch may not assign a variable of the outer scope, and the
 * ScanGate and Approval stages assign the run's variables; the copies need no state machine to progress.)
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { COPY_STATUSES } from '../../tasks/contracts';
import { CAUGHT_CAUSE_EXPRESSION, catchInto, failWith, invokeTask, runArgument, recordStage, type StageContext } from './common';

export const COPY_FIRST_WAIT_SECONDS = 60;
export const COPY_MAX_WAIT_SECONDS = 300;
/** A standard copy's deadline: Image Builder's DistributeImage step default (360 min, AWS-FACTS.md). */
export const STANDARD_COPY_DEADLINE_MINUTES = 360;
/** Margin after a time-based copy's promised completion before it counts as failed. */
export const TIME_BASED_COPY_MARGIN_MINUTES = 30;

/** How long one copy attempt may take before it counts as failed. */
export function copyDeadlineMinutes(copyCompletionMinutes: number | undefined): number {
  return copyCompletionMinutes !== undefined ? copyCompletionMinutes + TIME_BASED_COPY_MARGIN_MINUTES : STANDARD_COPY_DEADLINE_MINUTES;
}

/** The source region's entry of $regionImages, as a JSONata expression (the account from the execution ARN). */
export function sourceRegionImage(sourceRegion: string): string {
  return `{'region': '${sourceRegion}', 'imageId': $imageId, 'snapshotIds': $snapshotIds, 'accountId': $split($states.context.Execution.Id, ':')[4]}`;
}

/** Record a distribution stage; a redistribution ($redistribute) keeps the approved record's status. */
export function recordDistributionStage(
  ctx: StageContext,
  name: string,
  stage: 'Distribute' | 'Share' | 'Publish',
  details: string,
  status: 'started' | 'succeeded' = 'succeeded',
): sfn.TaskStateBase {
  return recordStage(ctx, name, stage, status, details, { redistribution: '{% $redistribute %}' });
}

function targets(ctx: StageContext) {
  return ctx.config.distribution.targetRegions.map((t) => ({ region: t.region, kmsKeyAlias: t.kmsKeyAlias ?? null }));
}

function copyPayload(ctx: StageContext, status: (typeof COPY_STATUSES)[number]): Record<string, unknown> {
  const { distribution } = ctx.config;
  return {
    run: runArgument(ctx.config.name),
    sourceImageId: '{% $imageId %}',
    sourceRegion: distribution.sourceRegion,
    region: '{% $copyTarget.region %}',
    kmsKeyAlias: '{% $copyTarget.kmsKeyAlias %}',
    encrypted: distribution.encrypted,
    imageName: '{% $imageName %}',
    version: '{% $version %}',
    attempt: '{% $copyAttempt %}',
    status,
    copyCompletionMinutes: distribution.copyCompletionMinutes ?? null,
  };
}

export function distributeStage(ctx: StageContext, next: sfn.IChainable): sfn.IChainable {
  const { config } = ctx;
  const { distribution } = config;
  const run = runArgument(config.name);
  const deadlineMs = copyDeadlineMinutes(distribution.copyCompletionMinutes) * 60_000;

  const record = recordDistributionStage(ctx, 'Record Distributed', 'Distribute', "{% {'regionImages': $regionImages} %}");
  record.next(next);
  // The record says Distribute while the copies run: a stopped run's clean-up and its notification name the stage.
  const started = recordDistributionStage(
    ctx,
    'Record Distribute Started',
    'Distribute',
    `{% {'targetRegions': ${JSON.stringify(distribution.targetRegions.map((t) => t.region)).replace(/"/g, "'")}} %}`,
    'started',
  );

  if (distribution.targetRegions.length === 0) {
    return started.next(
      sfn.Pass.jsonata(ctx.scope, 'No Target Regions', { assign: { regionImages: `{% [${sourceRegionImage(distribution.sourceRegion)}] %}` } }).next(record),
    );
  }

  // ---- one region (Map iteration; its variables live in the iteration) ----
  const start = sfn.Pass.jsonata(ctx.scope, 'Copy: Start', { assign: { copyTarget: '{% $states.input %}', copyAttempt: 1 } });
  const copy = invokeTask(ctx, 'Copy Image To Region', 'copyImage', copyPayload(ctx, 'distributing'), {
    assign: {
      copyId: '{% $states.result.Payload.imageId %}',
      copyPolls: 0,
      copyWait: COPY_FIRST_WAIT_SECONDS,
      copyDeadline: `{% $fromMillis($toMillis($states.context.State.EnteredTime) + ${deadlineMs}) %}`,
    },
  });
  const wait = sfn.Wait.jsonata(ctx.scope, 'Wait For Copy', { time: sfn.WaitTime.seconds('{% $copyWait %}') });
  const check = invokeTask(ctx, 'Check Copy', 'checkCopy', {
    run,
    region: '{% $copyTarget.region %}',
    imageId: '{% $copyId %}',
    deadline: '{% $copyDeadline %}',
  }, {
    assign: {
      copyCheck: '{% $states.result.Payload %}',
      copyPolls: '{% $copyPolls + 1 %}',
      copyWait: `{% $min([$copyWait * 2, ${COPY_MAX_WAIT_SECONDS}]) %}`,
    },
  });
  const attemptFailed = sfn.Pass.jsonata(ctx.scope, 'Copy Attempt Refused', {
    assign: { copyError: `{% $substring(${CAUGHT_CAUSE_EXPRESSION}, 0, 1000) %}` },
  });
  const copyFailed = sfn.Pass.jsonata(ctx.scope, 'Copy Attempt Failed', { assign: { copyError: '{% $copyCheck.reason %}' } });
  const retry = sfn.Pass.jsonata(ctx.scope, 'Retry Copy', { assign: { copyAttempt: '{% $copyAttempt + 1 %}' } });
  const gaveUp = sfn.Pass.jsonata(ctx.scope, 'Region Copy Failed', {
    outputs: { region: '{% $copyTarget.region %}', failed: true, reason: '{% $copyError %}' },
  });
  const copied = sfn.Pass.jsonata(ctx.scope, 'Region Copied', {
    outputs: {
      region: '{% $copyTarget.region %}',
      imageId: '{% $copyId %}',
      snapshotIds: '{% $copyCheck.snapshotIds %}',
      accountId: '{% $copyCheck.accountId %}',
      failed: false,
    },
  });
  const again = sfn.Choice.jsonata(ctx.scope, 'Copy Again?').when(sfn.Condition.jsonata('{% $copyAttempt < 2 %}'), retry).otherwise(gaveUp);
  const available = sfn.Choice.jsonata(ctx.scope, 'Copy Available?')
    .when(sfn.Condition.jsonata("{% $copyCheck.state = 'available' %}"), copied)
    .when(sfn.Condition.jsonata("{% $copyCheck.state = 'pending' %}"), wait)
    .otherwise(copyFailed);
  copy.addCatch(attemptFailed, { errors: ['States.ALL'] });
  check.addCatch(attemptFailed, { errors: ['States.ALL'] });
  start.next(copy).next(wait).next(check).next(available);
  copyFailed.next(again);
  attemptFailed.next(again);
  retry.next(copy);

  const map = sfn.Map.jsonata(ctx.scope, 'Copy To Regions', {
    items: sfn.ProvideItems.jsonArray(targets(ctx)),
    maxConcurrency: distribution.copyConcurrency,
    assign: {
      copies: '{% $states.result %}',
      regionImages: `{% $append([${sourceRegionImage(distribution.sourceRegion)}], $states.result[failed = false].{'region': region, 'imageId': imageId, 'snapshotIds': snapshotIds, 'accountId': accountId}) %}`,
    },
  });
  map.itemProcessor(start);
  catchInto(ctx, map, 'Distribute');

  const regionsFailed = failWith(
    ctx,
    'Region Copies Failed',
    'Distribute',
    'RegionCopyFailed',
    "{% 'The copy failed in ' & $join($copies[failed = true].region, ', ') & ' (tried twice): ' & $join($copies[failed = true].(region & ': ' & reason), '; ') %}",
  );
  const complete = sfn.Choice.jsonata(ctx.scope, 'Copies Complete?')
    .when(sfn.Condition.jsonata('{% $count($copies[failed = true]) > 0 %}'), regionsFailed)
    .otherwise(record);
  map.next(complete);
  return started.next(map);
}

/**
 * Speculative copy: start every region's copy now (private, pending-approval), without waiting. A refused start
 * is not a failure here: the Distribute stage starts that region's copy again (and fails the run if it must).
 */
export function startCopiesEarly(ctx: StageContext, next: sfn.IChainable): sfn.IChainable {
  const { distribution } = ctx.config;
  if (!distribution.startBeforeApproval || distribution.targetRegions.length === 0) return next;
  const start = sfn.Pass.jsonata(ctx.scope, 'Early Copy: Start', { assign: { copyTarget: '{% $states.input %}', copyAttempt: 1 } });
  const copy = invokeTask(ctx, 'Start Copy Before Approval', 'copyImage', copyPayload(ctx, 'pending-approval'), {
    outputs: "{% {'region': $copyTarget.region, 'imageId': $states.result.Payload.imageId} %}",
  });
  const refused = sfn.Pass.jsonata(ctx.scope, 'Early Copy Not Started', {
    outputs: { region: '{% $copyTarget.region %}', notStarted: `{% $substring(${CAUGHT_CAUSE_EXPRESSION}, 0, 500) %}` },
  });
  copy.addCatch(refused, { errors: ['States.ALL'] });
  start.next(copy);
  const map = sfn.Map.jsonata(ctx.scope, 'Start Copies Before Approval', {
    items: sfn.ProvideItems.jsonArray(targets(ctx)),
    maxConcurrency: distribution.copyConcurrency,
  });
  map.itemProcessor(start);
  catchInto(ctx, map, 'Distribute');
  map.next(next);
  return map;
}

/** Wait-time helper for tests and the benchmark: the n-th back-off wait of a copy (seconds). */
export function copyWaitSeconds(poll: number): number {
  return Math.min(COPY_FIRST_WAIT_SECONDS * 2 ** poll, COPY_MAX_WAIT_SECONDS);
}
