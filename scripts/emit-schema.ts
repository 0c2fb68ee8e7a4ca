import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFacegraphSchema, renderSdl } from '../src/graphql/schema.js';

/** `npm run schema`: writes schema/schema.graphql from the resolvers. */
const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../schema/schema.graphql');
await fs.writeFile(target, renderSdl(await buildFacegraphSchema()));
console.log(`wrote ${path.relative(process.cwd(), target)}`);
