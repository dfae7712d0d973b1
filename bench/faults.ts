/**
 * npm run faults: run the whole fault matrix (test/faults/matrix.ts) and print the table — one row per fault
 * kind, one column per stage, clean/total per cell — and the totals. Exits 1 when any scenario is unclean.
 */
import { formatMatrix, SCENARIOS, startHarness, type ScenarioResult } from '../test/faults/matrix';

async function main(): Promise<void> {
  const started = Date.now();
  const harness = await startHarness();
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of SCENARIOS) results.push(await harness.runScenario(scenario));
  } finally {
    await harness.stop();
  }
  for (const line of formatMatrix(results)) console.log(line);
  const lambda = results.reduce((n, r) => n + r.lambdaFaults, 0);
  const cloud = results.reduce((n, r) => n + r.cloudFaults, 0);
  console.log(`faults injected: ${lambda} Lambda, ${cloud} cloud; wall ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (results.some((r) => r.problems.length > 0)) process.exitCode = 1;
}

void main();
