/** Package inventories (issue 15): rpm version order, ranges, storage (compressed when large), differences, and recordInventory. */
import { ListInventoryEntriesCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  COMPRESS_ABOVE_BYTES,
  decodeInventory,
  diffInventories,
  encodeInventory,
  inRange,
  parseVersionRange,
  rpmvercmp,
  type PackageEntry,
} from '../../pipeline/inventory';
import { handler as recordInventory } from '../../tasks/recordInventory/handler';
import { run } from './tasks/fixtures';

const pkg = (name: string, version: string, release = '1.amzn2023', epoch = 0, arch = 'x86_64'): PackageEntry => ({ name, epoch, version, release, arch });

describe('rpmvercmp', () => {
  it.each([
    ['1.0', '1.0', 0],
    ['1.0', '1.1', -1],
    ['1.10', '1.9', 1],
    ['3.0.8', '3.0.10', -1],
    ['1.0a', '1.0', 1],
    ['1.0', '1.0.1', -1],
    ['2.34', '2.34.0', -1],
    ['1.0~rc1', '1.0', -1],
    ['1.0^git1', '1.0', 1],
    ['1.0^git1', '1.0.1', -1],
    ['52.amzn2023.0.8', '52.amzn2023.0.10', -1],
    ['1a', '1.1', -1],
    ['001', '1', 0],
  ])('%s vs %s → %i', (a, b, expected) => {
    expect(rpmvercmp(a, b)).toBe(expected);
    expect(rpmvercmp(b, a)).toBe(-expected || 0);
  });
});

describe('version ranges', () => {
  const openssl = pkg('openssl-libs', '3.0.8', '1.amzn2023.0.12', 1);

  it.each([
    ['>=3.0.8 <3.0.9', true],
    ['3.0.8', true],
    ['=3.0.8', true],
    ['>3.0.8', false],
    ['=1:3.0.8-1.amzn2023.0.12', true],
    ['<1:3.0.8-1.amzn2023.0.12', false],
    ['>=1:3.0.8-1.amzn2023.0.11', true],
    ['<2:3.0.0', true],
  ])('%s includes 1:3.0.8-1.amzn2023.0.12: %s', (range, expected) => {
    expect(inRange(openssl, parseVersionRange(range))).toBe(expected);
  });

  it('refuses what is not a range, by name', () => {
    expect(() => parseVersionRange('  ')).toThrow(expect.objectContaining({ name: 'InvalidVersionRange' }));
    expect(() => parseVersionRange('>=a:b')).toThrow('is not a version');
    // A doubled or dangling comparator is refused, not read as a version starting with '>' or '='.
    for (const bad of ['>>1', '>=', '=<1', '>= <3']) expect(() => parseVersionRange(bad)).toThrow('is not a version');
  });
});

describe('stored inventories', () => {
  it('keeps a small inventory as a sorted list', () => {
    const encoded = encodeInventory([pkg('zlib', '1.2.11'), pkg('bash', '5.2.15')]);

    expect(encoded).toMatchObject({ count: 2, encoding: 'list' });
    expect(encoded.storedBytes).toBe(encoded.rawBytes);
    expect(decodeInventory(encoded).map((p) => p.name)).toEqual(['bash', 'zlib']);
  });

  it('compresses a large inventory and reads it back', () => {
    const many = Array.from({ length: 2000 }, (_, i) => pkg(`package-${String(i).padStart(4, '0')}`, `1.${i}`, `3.amzn2023.0.${i % 7}`));
    const encoded = encodeInventory(many);

    expect(encoded.rawBytes).toBeGreaterThan(COMPRESS_ABOVE_BYTES);
    expect(encoded.encoding).toBe('gzip');
    expect(encoded.packages).toBeUndefined();
    expect(encoded.storedBytes).toBeLessThan(encoded.rawBytes / 4);
    expect(decodeInventory(encoded)).toEqual(many);
  });
});

describe('diffInventories', () => {
  it('names upgrades, downgrades, additions and removals by name and architecture', () => {
    const base = [pkg('openssl-libs', '3.0.8', '1.amzn2023.0.11', 1), pkg('glibc', '2.34', '52.amzn2023.0.8'), pkg('nano', '5.8'), pkg('curl', '8.5.0')];
    const image = [pkg('openssl-libs', '3.0.8', '1.amzn2023.0.12', 1), pkg('glibc', '2.34', '52.amzn2023.0.8'), pkg('curl', '8.3.0'), pkg('vim-minimal', '9.0')];

    expect(diffInventories(base, image)).toEqual({
      added: [pkg('vim-minimal', '9.0')],
      removed: [pkg('nano', '5.8')],
      changed: [
        { name: 'curl', arch: 'x86_64', from: '8.5.0-1.amzn2023', to: '8.3.0-1.amzn2023', upgrade: false },
        { name: 'openssl-libs', arch: 'x86_64', from: '1:3.0.8-1.amzn2023.0.11', to: '1:3.0.8-1.amzn2023.0.12', upgrade: true },
      ],
    });
  });
});

describe('recordInventory task', () => {
  const ssm = mockClient(SSMClient);
  const ddb = mockClient(DynamoDBDocumentClient);
  beforeEach(() => {
    ssm.reset();
    ddb.reset();
    ddb.on(PutCommand).resolves({});
  });
  const event = { run, registryTable: 'gami-registry-web-base', version: 12, instanceId: 'i-0bbbbbbbbbbbbbbb2', imageId: 'ami-0fedcba9876543210', role: 'image' };
  const entry = (name: string, version: string, release: string, epoch?: string) => ({ Name: name, Version: version, Release: release, Architecture: 'x86_64', ...(epoch ? { Epoch: epoch } : {}) });

  it('reads every page, records the packages with the changes from the base, and returns the sizes', async () => {
    ssm
      .on(ListInventoryEntriesCommand)
      .resolvesOnce({ CaptureTime: '2026-11-22T10:00:00Z', Entries: [entry('openssl-libs', '3.0.8', '1.amzn2023.0.12', '1')], NextToken: 't' })
      .resolvesOnce({ CaptureTime: '2026-11-22T10:00:00Z', Entries: [entry('zlib', '1.2.11', '31.amzn2023.0.3')] });
    ddb.on(GetCommand).resolves({ Item: { encoding: 'list', packages: [pkg('openssl-libs', '3.0.8', '1.amzn2023.0.11', 1), pkg('zlib', '1.2.11', '31.amzn2023.0.3')] } });

    const result = await recordInventory(event);

    expect(result).toMatchObject({ role: 'image', count: 2, encoding: 'list', captureTime: '2026-11-22T10:00:00Z', changes: { added: 0, removed: 0, changed: 1 } });
    expect(ssm).toReceiveCommandWith(ListInventoryEntriesCommand, { InstanceId: 'i-0bbbbbbbbbbbbbbb2', TypeName: 'AWS:Application', NextToken: 't' });
    expect(ddb).toReceiveCommandWith(GetCommand, { Key: { pk: 'PIPELINE#web-base', sk: 'INVENTORY#000012#BASE' } });
    const item = ddb.commandCalls(PutCommand)[0].args[0].input.Item!;
    expect(item).toMatchObject({ pk: 'PIPELINE#web-base', sk: 'INVENTORY#000012#IMAGE', imageId: 'ami-0fedcba9876543210', count: 2 });
    expect(item.packages[0]).toEqual(pkg('openssl-libs', '3.0.8', '1.amzn2023.0.12', 1));
    expect(item.changesFromBase.changed).toEqual([{ name: 'openssl-libs', arch: 'x86_64', from: '1:3.0.8-1.amzn2023.0.11', to: '1:3.0.8-1.amzn2023.0.12', upgrade: true }]);
  });

  it('throws InventoryNotCollected (retried by the state machine) while the inventory is empty, and writes nothing', async () => {
    ssm.on(ListInventoryEntriesCommand).resolves({ Entries: [] });

    await expect(recordInventory(event)).rejects.toMatchObject({ name: 'InventoryNotCollected' });
    expect(ddb).not.toReceiveCommand(PutCommand);
  });

  it('records a base inventory without reading another', async () => {
    ssm.on(ListInventoryEntriesCommand).resolves({ Entries: [entry('zlib', '1.2.11', '31.amzn2023.0.3')] });

    await expect(recordInventory({ ...event, role: 'base' })).resolves.not.toHaveProperty('changes');
    expect(ddb).not.toReceiveCommand(GetCommand);
  });
});
