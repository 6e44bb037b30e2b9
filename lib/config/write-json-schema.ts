import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configJsonSchema } from './json-schema.ts';

const out = resolve(import.meta.dirname, '../../schema/campaigns.schema.json');
writeFileSync(out, JSON.stringify(configJsonSchema(), null, 2) + '\n');
console.log(`wrote ${out}`);
