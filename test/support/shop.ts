import { randomUUID } from 'node:crypto';
import { expect } from '@jest/globals';
import type { SupergraphAuth } from '../../scripts/supergraph.js';
import { bearer, tokenFor } from './auth.js';
import { gql } from './graphql.js';

/**
 * Arranges shop state through the public API, as clients would: products via
 * the admin mutations (so the stock ledger is right), customers via register.
 */
export class Shop {
  readonly admin: Record<string, string>;
  private serial = 0;

  constructor(
    private readonly url: string,
    auth: SupergraphAuth,
  ) {
    this.admin = bearer(tokenFor(auth, { customerId: randomUUID(), role: 'ADMIN' }));
  }

  async product(options: { stock: number; price?: string; currency?: string; name?: string }): Promise<string> {
    const res = await gql(
      this.url,
      `mutation ($input: CreateProductInput!) { createProduct(input: $input) { product { id } userErrors { code message } } }`,
      {
        input: {
          sku: `SKU-${Date.now()}-${++this.serial}-${Math.random().toString(36).slice(2, 6)}`,
          name: options.name ?? `Product ${this.serial}`,
          price: options.price ?? '10.00',
          currencyCode: options.currency ?? 'USD',
          initialStock: options.stock,
        },
      },
      this.admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.createProduct.userErrors).toEqual([]);
    return res.data.createProduct.product.id;
  }

  async customer(withDefaultAddress = true): Promise<{ id: string; headers: Record<string, string> }> {
    const res = await gql(
      this.url,
      `mutation ($input: RegisterInput!) { register(input: $input) { accessToken customer { id } userErrors { code } } }`,
      {
        input: {
          email: `shopper${++this.serial}-${randomUUID()}@example.test`,
          password: 'a fine password',
          name: 'Shopper',
        },
      },
    );
    expect(res.data.register.userErrors).toEqual([]);
    const headers = bearer(res.data.register.accessToken);
    if (withDefaultAddress) {
      const added = await gql(
        this.url,
        `mutation ($input: AddressInput!) { addAddress(input: $input) { userErrors { code } } }`,
        { input: { name: 'Home', line1: '1 High St', city: 'Bath', postalCode: 'BA1 1AA', countryCode: 'GB' } },
        headers,
      );
      expect(added.data.addAddress.userErrors).toEqual([]);
    }
    return { id: res.data.register.customer.id, headers };
  }

  async stock(productId: string): Promise<number> {
    const res = await gql(this.url, `query ($id: ID!) { product(id: $id) { available } }`, { id: productId });
    return res.data.product.available;
  }
}
