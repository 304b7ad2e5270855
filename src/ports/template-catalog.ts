/**
 * Site templates (seed 001 "Template marketplace"): JSON blueprints. Adapter:
 * `adapters/templates/local-catalog.ts` (built-in blueprints plus the ones operators add, stored
 * in the data dir).
 *
 * What an adapter must guarantee: built-in blueprints cannot be replaced; `add` validates before
 * it stores (VALIDATION_FAILED, nothing stored). Blueprints returned may be shared (the built-in
 * ones are the same objects on every call): callers must not mutate them.
 */
import type { TemplateBlueprint } from './wordpress.js';

export interface TemplateCatalog {
  list(): Promise<TemplateBlueprint[]>;
  get(templateId: string): Promise<TemplateBlueprint | undefined>;
  /** Validates and stores an operator's blueprint; replacing a built-in one is refused. */
  add(blueprint: unknown): Promise<TemplateBlueprint>;
}
