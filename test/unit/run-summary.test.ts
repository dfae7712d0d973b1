import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { collectRunFacts, mainReason, runSummaryLines, type RunFacts } from '../../bin/summary';

const exited = (name: string, output: unknown): HistoryEvent =>
  ({ type: 'TaskStateExited', timestamp: new Date(0), id: 1, stateExitedEventDetails: { name, output: JSON.stringify(output) } }) as HistoryEvent;

describe('the final summary of npm start', () => {
  it('collects the launch template and retention plan outputs, and not a caught error in their place', () => {
    // Arrange
    const facts: RunFacts = {};
    const templates = { templates: [{ launchTemplateName: 'web', account: '2', region: 'r', previousDefaultVersion: 3, newVersion: 4, defaultSet: false, imageId: 'ami-1' }], refreshes: [] };

    // Act
    collectRunFacts(facts, exited('Update Launch Templates', templates));
    collectRunFacts(facts, exited('Plan Retention', { Error: 'RetentionFailed', Cause: 'x' }));
    collectRunFacts(facts, exited('Prepare Run', { version: 1 }));

    // Assess
    expect(facts).toEqual({ launchTemplates: templates });
    expect(runSummaryLines({ retention: { error: 'RetentionFailed', cause: 'x' } }, facts)).toEqual([
      '  launch templates:',
      '    web (2/r): version 3 → 4 (created; default left as it was), image ami-1',
      '  retention FAILED: RetentionFailed (recorded and notified; the release stands)',
    ]);
  });

  it('cuts a retention line to its main reason and keeps the count of further images', () => {
    expect(mainReason('version 5: 3 kept — 1/eu ami-1: is golden; in use (+2 more)')).toBe('version 5: 3 kept — 1/eu ami-1: is golden (+2 more)');
    expect(mainReason('version 1 retired: 1 deregistered')).toBe('version 1 retired: 1 deregistered');
  });
});
