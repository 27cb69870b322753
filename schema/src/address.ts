/**
 * The rules for a postal address, shared by customer addresses and the
 * shipping address copied onto an order: trimmed fields with length limits
 * and a two-letter country code.
 */
export interface AddressFields {
  name: string;
  line1: string;
  line2?: string | null | undefined;
  city: string;
  region?: string | null | undefined;
  postalCode: string;
  countryCode: string;
}

export interface NormalisedAddress {
  name: string;
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postalCode: string;
  countryCode: string;
}

export type AddressProblem = {
  field: keyof AddressFields;
  reason: 'REQUIRED' | 'TOO_LONG' | 'INVALID_COUNTRY';
  message: string;
};

const LIMITS: Record<keyof AddressFields, number> = {
  name: 100,
  line1: 200,
  line2: 200,
  city: 100,
  region: 100,
  postalCode: 20,
  countryCode: 2,
};

/** Trims and checks an address; `problems` is empty when it is valid. */
export function normaliseAddress(input: AddressFields): { address: NormalisedAddress; problems: AddressProblem[] } {
  const problems: AddressProblem[] = [];
  const text = (field: keyof AddressFields, required: boolean): string | null => {
    const value = (input[field] ?? '').trim();
    if (value === '' && required) problems.push({ field, reason: 'REQUIRED', message: `${field} must not be empty` });
    else if (value.length > LIMITS[field]) {
      problems.push({ field, reason: 'TOO_LONG', message: `${field} must be at most ${LIMITS[field]} characters` });
    }
    return value === '' ? null : value;
  };
  const address = {
    name: text('name', true) ?? '',
    line1: text('line1', true) ?? '',
    line2: text('line2', false),
    city: text('city', true) ?? '',
    region: text('region', false),
    postalCode: text('postalCode', true) ?? '',
    countryCode: input.countryCode.trim().toUpperCase(),
  };
  if (!/^[A-Z]{2}$/.test(address.countryCode)) {
    problems.push({
      field: 'countryCode',
      reason: 'INVALID_COUNTRY',
      message: 'countryCode must be an ISO 3166-1 alpha-2 code such as "GB"',
    });
  }
  return { address, problems };
}
