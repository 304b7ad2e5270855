/**
 * The TemplateCatalog on this host: the built-in blueprints plus operators' ones, stored as JSON
 * files in `<dataDir>/templates/` (written atomically).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BbwsError } from '../../domain/errors.js';
import { validateBlueprint, type TemplateBlueprint } from '../../domain/template.js';
import type { TemplateCatalog } from '../../ports/template-catalog.js';
import { BUILTIN_TEMPLATES } from './builtin-templates.js';
import { writeFileAtomicSync } from '../files/atomic-write.js';

export function createLocalTemplateCatalog(options: { dir: string }): TemplateCatalog {
  const builtin = new Map(BUILTIN_TEMPLATES.map((t) => [t.templateId, t]));
  const readAdded = (): TemplateBlueprint[] => {
    let files: string[];
    try {
      files = readdirSync(options.dir).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
    return files.sort().map((f) => validateBlueprint(JSON.parse(readFileSync(join(options.dir, f), 'utf8'))));
  };
  return {
    async list() {
      return [...builtin.values(), ...readAdded()];
    },
    async get(templateId) {
      return builtin.get(templateId) ?? readAdded().find((t) => t.templateId === templateId);
    },
    async add(value) {
      const blueprint = validateBlueprint(value);
      if (builtin.has(blueprint.templateId)) throw new BbwsError('VALIDATION_FAILED', `${blueprint.templateId} is a built-in template; choose another templateId.`, { field: 'templateId' });
      mkdirSync(options.dir, { recursive: true });
      const file = join(options.dir, `${blueprint.templateId}.json`);
      writeFileAtomicSync(file, JSON.stringify(blueprint, null, 2));
      return blueprint;
    },
  };
}
