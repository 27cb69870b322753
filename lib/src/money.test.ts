import { describe, expect, it } from '@jest/globals';
import { DecimalScalar, formatMinorUnits, money, parseDecimalToMinorUnits } from './money.js';

describe('money', () => {
  it('formats minor units exactly', () => {
    expect(formatMinorUnits(0)).toBe('0.00');
    expect(formatMinorUnits(5)).toBe('0.05');
    expect(formatMinorUnits(1234)).toBe('12.34');
    expect(formatMinorUnits(-5)).toBe('-0.05');
    expect(formatMinorUnits(900719925474099)).toBe('9007199254740.99');
    expect(() => formatMinorUnits(1.5)).toThrow(RangeError);
    expect(money(1999, 'USD ')).toEqual({ amount: '19.99', currencyCode: 'USD' });
  });

  it('parses decimals without floating point error', () => {
    expect(parseDecimalToMinorUnits('12.34')).toBe(1234);
    expect(parseDecimalToMinorUnits('0.1')).toBe(10);
    expect(parseDecimalToMinorUnits('19.99')).toBe(1999); // 19.99 * 100 is 1998.9999999999998 in floats
    expect(parseDecimalToMinorUnits('7')).toBe(700);
    expect(parseDecimalToMinorUnits('-3.50')).toBe(-350);
    for (const bad of ['12.345', '1e3', 'abc', '', '.5', '12.', '0x10', '1,00']) {
      expect(parseDecimalToMinorUnits(bad)).toBeUndefined();
    }
  });

  it('rejects non-string Decimal input with BAD_USER_INPUT', () => {
    expect(() => DecimalScalar.parseValue(12.34)).toThrow(/Decimal must be a string/);
    expect(DecimalScalar.parseValue('12.30')).toBe('12.30');
  });
});
