import { paginate, pageSize, ServiceError } from '../../../local/cloud/operations';

const items = Array.from({ length: 7 }, (_, i) => `item-${i}`);
const options = { defaultMax: 3, minLimit: 1, maxLimit: 5, invalidTokenCode: 'InvalidNextToken', invalidParameterCode: 'ValidationException', queryFingerprint: 'q1' };

describe('paginate', () => {
  it('walks a list in pages with opaque tokens and ends without a token', () => {
    const first = paginate(items, {}, options);
    const second = paginate(items, { NextToken: first.nextToken }, options);
    const last = paginate(items, { NextToken: second.nextToken, MaxResults: 5 }, options);

    expect(first.items).toEqual(['item-0', 'item-1', 'item-2']);
    expect(second.items).toEqual(['item-3', 'item-4', 'item-5']);
    expect(last).toEqual({ items: ['item-6'], nextToken: undefined });
  });

  it('refuses tokens of another query, garbage tokens and out-of-range MaxResults with the service codes', () => {
    const token = paginate(items, {}, options).nextToken;

    const otherQuery = () => paginate(items, { NextToken: token }, { ...options, queryFingerprint: 'q2' });
    const garbage = () => paginate(items, { NextToken: 'not-a-token' }, options);

    expect(otherQuery).toThrow(expect.objectContaining({ name: 'InvalidNextToken' }) as Error);
    expect(garbage).toThrow(ServiceError);
    expect(() => pageSize(6, options)).toThrow(expect.objectContaining({ name: 'ValidationException', $fault: 'client' }) as Error);
    expect(() => pageSize(0, options)).toThrow(ServiceError);
    expect(pageSize(undefined, options)).toBe(3);
  });
});
