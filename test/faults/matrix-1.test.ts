/** Fault matrix, part 1 of 3 (see matrix.ts): each scenario ends clean, whatever the fault. */
import { partOf, startHarness, type Harness } from './matrix';

describe('fault matrix, part 1', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.stop());

  it.each(partOf(0, 3).map((s) => [s.id, s] as const))('%s', async (_id, scenario) => {
    const result = await harness.runScenario(scenario);
    expect(result.problems).toEqual([]);
  });
});
