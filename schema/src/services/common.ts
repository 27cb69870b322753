import { isUuid } from '@shopgraph/lib';
import { z } from 'zod';

/** An entity id as the internal APIs carry it: a UUID, lower-cased. */
export const Id = z
  .string()
  .refine(isUuid, { message: 'must be a UUID' })
  .transform((id) => id.toLowerCase());

/** A userError on the wire (docs/adr/0016): where, why for people, why for programs, and typed extras. */
export const WireUserError = <C extends z.ZodType<string>>(code: C) =>
  z.object({
    field: z.array(z.string()).nullable(),
    message: z.string(),
    code,
    /** INSUFFICIENT_STOCK: the units on hand for the line's product. */
    available: z.number().int().optional(),
  });

/** `{ ok: true, …values } | { ok: false, userErrors }` on the wire. */
export const WireResult = <V extends z.ZodRawShape, C extends z.ZodType<string>>(values: V, code: C) =>
  z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), ...values }),
    z.object({ ok: z.literal(false), userErrors: z.array(WireUserError(code)).min(1) }),
  ]);
