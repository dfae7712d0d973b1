import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bin/cli';
import { VirtualClock } from '../../local/clock';
import { Cloud, DEFAULT_SCENARIO } from '../../local/cloud';
import { saveWorldState } from '../../local/cloud/persistence';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

let stateDir: string;
let empty: string;
beforeAll(async () => {
  // A local account as `npm start` leaves it: the example world, saved in a state directory.
  stateDir = mkdtempSync(join(tmpdir(), 'gami-retention-'));
  empty = mkdtempSync(join(tmpdir(), 'gami-retention-empty-'));
  const cloud = await Cloud.start({ clock: new VirtualClock(Date.UTC(2026, 10, 22, 9, 0, 0)), scenario: DEFAULT_SCENARIO, stateDir, dynamodb: false });
  saveWorldState(cloud.world.state, join(stateDir, 'cloud.json'));
  await cloud.stop();
});
afterAll(() => {
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

describe('gami retention plan', () => {
  it('prints a table of every image copy with its decision and why, changing nothing', async () => {
    const { io, out, err } = capture();

    const code = await main(['retention', 'plan', 'web-base', '--local', '--state-dir', stateDir, '--now', '2026-11-22T09:00:00Z'], io);
    const again = capture();
    await main(['retention', 'plan', 'web-base', '--local', '--state-dir', stateDir, '--now', '2026-11-22T09:00:00Z'], again.io);

    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out[0]).toMatch(/^VERSION\s+REGION\s+ACCOUNT\s+IMAGE\s+DECISION\s+AGE\s+WHY$/);
    const row = (version: string, region: string) => out.find((l) => new RegExp(`^${version}\\s+${region}\\s`).test(l)) ?? '';
    expect(row('1', 'eu-west-1')).toMatch(/deregister\s+120 d\s+120 days old, more than 90/);
    expect(row('3', 'eu-west-1')).toMatch(/keep .*used by launch template web-prod \(lt-[0-9a-f]+\) version 1: \$Default, \$Latest, Auto Scaling group web-prod-asg/);
    expect(row('4', 'eu-west-1')).toMatch(/keep .*version 4 is the current golden image; version 4 is among the newest 3 approved; used by SSM parameter \/golden\/web-base\/latest/);
    expect(out.filter((l) => /^\d+ images/.test(l))).toEqual(['8 images: keep 4, deprecate 3, deregister 1 (1 snapshot, 8 GiB)']);
    // Nothing changed: the same plan again.
    expect(again.out).toEqual(out);
  });

  it('prints the plan as JSON with --format json', async () => {
    const { io, out } = capture();

    const code = await main(['retention', 'plan', 'web-base', '--local', '--state-dir', stateDir, '--format', 'json', '--now', '2027-03-01T00:00:00Z'], io);
    const json = JSON.parse(out.join('\n'));

    expect(code).toBe(0);
    expect(json.plan.now).toBe('2027-03-01T00:00:00.000Z');
    expect(json.plan.decisions).toHaveLength(8);
    expect(json.describeImagesCalls).toEqual({ 'eu-west-1': 1, 'eu-central-1': 1, 'us-east-1': 1 });
    expect(json.compliance.length).toBeGreaterThan(0);
  });

  it.each([
    [['retention', 'plan'], /missing required argument 'pipeline'/],
    [['retention', 'plan', 'web-base', '--format', 'xml'], /Allowed choices are table, json/],
    [['retention', 'plan', 'nope', '--local'], /^error: no pipeline file pipelines\/nope\.yaml \(give --file\)$/],
    [['retention', 'plan', 'other', '--file', 'pipelines/example.yaml'], /^error: pipelines\/example\.yaml is pipeline "web-base", not "other"$/],
    [['retention', 'plan', 'web-base', '--now', 'soon'], /^error: --now: "soon" is not a time/],
  ])('refuses %j with exit 2 and one error line', async (argv, message) => {
    const { io, out, err } = capture();

    const code = await main(argv, io);

    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(message);
  });

  it('refuses --local without a local account, with exit 2 and one error line', async () => {
    const { io, err } = capture();

    const code = await main(['retention', 'plan', 'web-base', '--local', '--state-dir', empty], io);

    expect(code).toBe(2);
    expect(err).toEqual([`error: no local account in ${empty} (run npm start first, or give --state-dir)`]);
  });
});
