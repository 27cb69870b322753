import { describe, expect, it } from '@jest/globals';
import { Refused, refusalAsResult, refuse, succeed, toPayload, type Result } from './result.js';

describe('the result convention', () => {
  const error = { field: ['input', 'name'], code: 'TOO_LONG', message: 'name must be at most 100 characters' };

  it('maps a result to a mutation payload: values and no errors, or errors and nothing else', () => {
    expect(toPayload(succeed({ product: { id: 'p1' }, movement: null }))).toEqual({
      product: { id: 'p1' },
      movement: null,
      userErrors: [],
    });
    expect(toPayload(refuse(error))).toEqual({ userErrors: [error] });
  });

  it('turns a Refused thrown inside a transaction into a failed result and lets anything else through', async () => {
    const refused: Result<{ n: number }> = await refusalAsResult(async (): Promise<Result<{ n: number }>> => {
      throw new Refused([error]);
    });
    expect(refused).toEqual({ ok: false, userErrors: [error] });
    expect(await refusalAsResult(async () => succeed({ n: 1 }))).toEqual({ ok: true, n: 1 });
    await expect(
      refusalAsResult(async (): Promise<Result<{ n: number }>> => {
        throw new Error('database gone');
      }),
    ).rejects.toThrow('database gone');
  });
});
