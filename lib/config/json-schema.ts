import { z } from 'zod';
import { configSchema } from './schema.ts';

/** The JSON Schema editors use (via "$schema"), generated from the same zod schema the runtime validates with. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://moments.example/schema/campaigns.schema.json',
    title: 'moments configuration',
  };
}
