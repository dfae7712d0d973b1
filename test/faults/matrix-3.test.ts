/** Fault matrix, part 3 of 3 (see matrix.ts): each scenario ends clean, whatever the fault. */
import { partOf, startHarness, type Harness } from './matrix';

describe('fault matrix, part 3', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.stop());

  it.each(partOf(2, 3).map((s) => [s.id, s] as const))('%s', async (_id, scenario) => {
    const result = await harness.runScenario(scenario);
    expect(result.problems).toEqual([]);
  });
});
