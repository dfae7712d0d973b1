import { cleanupLines, stateExitLines } from '../../bin/live';

// The demo's live lines print what a state's output holds: never "undefined".
const lambdaCause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage, trace: ['at x'] });

describe('stateExitLines', () => {
  it('prints Prepare\'s version, image name and base image', () => {
    expect(
      stateExitLines('Prepare Run', { version: 3, imageName: 'web-base-3-20261122', baseImage: { imageId: 'ami-0123456789abcdef0', name: 'al2023-ami' } }),
    ).toEqual(['version 3, image name web-base-3-20261122, base ami-0123456789abcdef0 (al2023-ami)']);
  });

  it('prints the error, not a row of undefined, when Prepare fails', () => {
    expect(stateExitLines('Prepare Run', { Error: 'BaseImageNotFound', Cause: lambdaCause('BaseImageNotFound', 'no image matches owner amazon, name al2099-*') })).toEqual([
      'prepare run failed: BaseImageNotFound — no image matches owner amazon, name al2099-*',
    ]);
    expect(stateExitLines('Prepare Run', { Error: 'States.Timeout', Cause: 'Task timed out after 300 seconds' })).toEqual([
      'prepare run failed: States.Timeout — Task timed out after 300 seconds',
    ]);
  });

  it('prints only the fields Prepare returned', () => {
    expect(stateExitLines('Prepare Run', { version: 3 })).toEqual(['version 3']);
    expect(stateExitLines('Prepare Run', { baseImage: { imageId: 'ami-0123456789abcdef0' } })).toEqual(['base ami-0123456789abcdef0']);
    expect(stateExitLines('Prepare Run', {})).toEqual([]);
  });

  it('prints a failed scan gate with its reason instead of "undefined active findings"', () => {
    expect(
      stateExitLines('Evaluate Scan Gate', { Error: 'ScanGateFailed', Cause: lambdaCause('ScanGateFailed', 'web-base v3 (ami-1): HIGH: 2 findings > 0 allowed') }),
    ).toEqual(['scan gate FAILED: ScanGateFailed — web-base v3 (ami-1): HIGH: 2 findings > 0 allowed']);
    expect(stateExitLines('Evaluate Scan Gate', { passed: true, totalFindings: 4 })).toEqual(['scan gate PASSED: 4 active findings']);
    expect(stateExitLines('Evaluate Scan Gate', { passed: false })).toEqual(['scan gate FAILED']);
  });

  it("prints each launch template's new default and each refresh, the rollback, and the approval", () => {
    expect(
      stateExitLines('Update Launch Templates', {
        templates: [{ launchTemplateName: 'web-prod', account: '222222222222', region: 'eu-west-1', newVersion: 2, previousDefaultVersion: 1, defaultSet: true }],
        refreshes: [{ autoScalingGroupName: 'web-prod-asg', account: '222222222222', region: 'eu-west-1' }],
      }),
    ).toEqual(['launch template web-prod (222222222222/eu-west-1): version 2 is the default (was 1)', 'instance refresh of web-prod-asg (222222222222/eu-west-1) started']);
    expect(stateExitLines('Roll Back Launch Templates', { rolledBack: ['web-prod (222222222222/eu-west-1): default back to 1'], cancelledRefreshes: [] })).toEqual([
      'rolled back web-prod (222222222222/eu-west-1): default back to 1',
    ]);
    expect(stateExitLines('Mark Approved', { approved: [{ imageId: 'ami-1', region: 'eu-west-1', watermarkKey: '111111111111:web-base' }] })).toEqual([
      'approved ami-1 in eu-west-1: watermark 111111111111:web-base, protected from deregistration',
    ]);
    expect(stateExitLines('Update Launch Templates', { Error: 'LaunchTemplateUpdateFailed', Cause: lambdaCause('LaunchTemplateUpdateFailed', 'web-staging: refused') })).toEqual([
      'update launch templates failed: LaunchTemplateUpdateFailed — web-staging: refused',
    ]);
  });

  it('prints steps, instances and images only when their ids are there', () => {
    expect(stateExitLines('Build: Step Finished', { status: 'Success', component: 'os-update', phase: 'build', step: 'UpdatePackages' })).toEqual([
      'Success  os-update/build/UpdatePackages',
    ]);
    expect(stateExitLines('Launch Builder', {})).toEqual([]);
    expect(stateExitLines('Create Image', { imageId: 'ami-0123456789abcdef0' })).toEqual(['creating image ami-0123456789abcdef0']);
    expect(stateExitLines('Terminate Builder', { terminated: [] })).toEqual(['terminated (already gone)']);
    expect(stateExitLines('Some Other State', { anything: 1 })).toEqual([]);
  });
});

describe('retention lines', () => {
  it('prints the plan, each version with why it is kept, and a failure that does not fail the release', () => {
    expect(stateExitLines('Plan Retention', { images: 8, dryRun: false, batches: 1, planned: { kept: 6, deprecated: 1, deregistered: 1, freedGiB: 8 } })).toEqual([
      'retention plan: 8 images — keep 6, deprecate 1, deregister 1 (8 GiB) in 1 batch(es)',
    ]);
    expect(stateExitLines('Report Retention', { lines: ['version 3: 1 kept — eu-west-1: used by launch template web-prod'] })).toEqual([
      '  version 3: 1 kept — eu-west-1: used by launch template web-prod',
    ]);
    expect(stateExitLines('Plan Retention', { Error: 'AccessDenied', Cause: 'no' })).toEqual(['plan retention failed: AccessDenied — no']);
    expect(stateExitLines('Record Retention Failed', { recorded: true })).toEqual(['retention FAILED (recorded and notified; the release stands)']);
  });
});

describe('cleanupLines (what the clean-up of a stopped run did)', () => {
  const arn = 'arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:run-1';

  it('says what was terminated and rejected', () => {
    expect(
      cleanupLines(arn, [
        { executionArn: arn, status: 'ABORTED', target: 'gami-web-base-cleanup', attempts: 1, result: { terminated: ['i-0aaaaaaaaaaaaaaa1'], rejectedImageIds: ['ami-0bbbbbbbbbbbbbbb2'] } },
        { executionArn: `${arn}-other`, status: 'ABORTED', target: 'x', attempts: 1, result: { terminated: ['i-other'], rejectedImageIds: [] } },
        // The history archive's delivery of the same status change is not a clean-up.
        {
          executionArn: arn,
          status: 'ABORTED',
          target: 'arn:aws:lambda:eu-west-1:111111111111:function:TasksarchiveExecution1A2B3C4D',
          attempts: 1,
          result: { executionArn: arn, status: 'ABORTED', archived: true },
        },
      ]),
    ).toEqual(['clean-up after ABORTED: terminated i-0aaaaaaaaaaaaaaa1; rejected and deprecated ami-0bbbbbbbbbbbbbbb2']);
  });

  it('names what could not be cleaned', () => {
    expect(
      cleanupLines(arn, [
        {
          executionArn: arn,
          status: 'TIMED_OUT',
          target: 'cleanup',
          attempts: 1,
          result: { terminated: [], rejectedImageIds: [], notCleaned: { instances: ['i-0aaaaaaaaaaaaaaa1'], images: [], record: 'PIPELINE#web-base/IMAGE#000003' } },
        },
      ]),
    ).toEqual([
      'clean-up after TIMED_OUT: terminated no instance (none was running); rejected and deprecated no image (none was made)',
      'NOT cleaned: instances i-0aaaaaaaaaaaaaaa1; registry record PIPELINE#web-base/IMAGE#000003 — clean these by hand',
    ]);
  });

  it('says when the clean-up failed or never ran', () => {
    expect(cleanupLines(arn, [{ executionArn: arn, status: 'ABORTED', target: 'cleanup', attempts: 1, error: { error: 'Lambda.Unknown', cause: lambdaCause('Error', 'boom') } }])).toEqual([
      'clean-up FAILED (cleanup): Lambda.Unknown — boom',
    ]);
    expect(cleanupLines(arn, [])).toEqual(['clean-up: none ran for this run (no status-change delivery reached it); check for running instances']);
  });
});
