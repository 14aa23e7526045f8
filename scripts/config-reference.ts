/** `npm run docs:config`: writes docs/CONFIG-REFERENCE.md from the config schema. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderConfigReference } from '../src/config/reference';

writeFileSync(path.join(__dirname, '../docs/CONFIG-REFERENCE.md'), renderConfigReference());
