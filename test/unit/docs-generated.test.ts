/** The generated documents are checked in; this fails when one is stale (regenerate with `npm run docs`). */
import { readFileSync } from 'node:fs';
import { generatedDocs, stateMachineMermaid, TROUBLESHOOTING } from '../../bin/docs';
import { EXECUTION_ERRORS } from '../../tasks/errors';

const docs = generatedDocs();

it.each(Object.keys(docs))('%s is up to date (npm run docs)', (file) => {
  expect(readFileSync(file, 'utf8')).toBe(docs[file]);
});

it('explains every error a run can end with', () => {
  expect(EXECUTION_ERRORS.filter((e) => !TROUBLESHOOTING[e])).toEqual([]);
  for (const error of EXECUTION_ERRORS) expect(docs['docs/troubleshooting.md']).toContain(`| \`${error}\` |`);
});

it('draws choices as diamonds, terminal states as stadiums and catches dashed', () => {
  const definition = JSON.stringify({
    StartAt: 'A',
    States: {
      A: { Type: 'Task', Next: 'B?', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }] },
      'B?': { Type: 'Choice', Choices: [{ Next: 'Done' }], Default: 'Failed' },
      Done: { Type: 'Succeed' },
      Failed: { Type: 'Fail' },
    },
  });
  expect(stateMachineMermaid(definition).split('\n')).toEqual([
    'flowchart TD',
    '  s0["A"]',
    '  s1{"B?"}',
    '  s2(["Done"])',
    '  s3(["Failed"])',
    '  s0 --> s1',
    '  s0 -.->|error| s3',
    '  s1 --> s2',
    '  s1 --> s3',
  ]);
});
