/**
 * Validation of template blueprints (docs/templates.md). A blueprint only names things the
 * platform provides: a Debian-packaged theme, marketplace plugins, allowlisted options.
 */
import { BbwsError } from './errors.js';

/** A template blueprint (docs/templates.md): theme, plugins, options, pages/posts, menu. */
export interface TemplateBlueprint {
  templateId: string;
  name: string;
  description: string;
  theme: string;
  plugins: Array<{ slug: string; version?: string }>;
  options: Record<string, string | number | boolean>;
  pages: Array<{ title: string; content: string; slug?: string; type?: 'page' | 'post'; front?: boolean }>;
  menu?: { name: string; items: string[] };
}

export const AVAILABLE_THEMES = ['twentytwentythree', 'twentytwentytwo', 'twentytwentyone'] as const;

/** Options a template (or a tenant-admin through PATCH) may set; everything else is the platform's. */
export const ALLOWED_OPTIONS = [
  'blogname', 'blogdescription', 'timezone_string', 'date_format', 'time_format', 'start_of_week',
  'posts_per_page', 'default_comment_status', 'default_ping_status', 'blog_public', 'permalink_structure',
] as const;

const ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
const SLUG = /^[a-z0-9-]{1,64}$/;

function fail(message: string, field: string): never {
  throw new BbwsError('VALIDATION_FAILED', message, { field });
}

function text(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) fail(`${field} must be a string of 1-${max} characters.`, field);
  return v;
}

export function validateOptions(value: unknown, field = 'options'): Record<string, string | number | boolean> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${field} must be an object.`, field);
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(ALLOWED_OPTIONS as readonly string[]).includes(k)) fail(`${field}.${k} is not an option templates may set (allowed: ${ALLOWED_OPTIONS.join(', ')}).`, `${field}.${k}`);
    if (!['string', 'number', 'boolean'].includes(typeof v) || (typeof v === 'string' && v.length > 1000)) fail(`${field}.${k} must be a short string, number or boolean.`, `${field}.${k}`);
    out[k] = v as string | number | boolean;
  }
  return out;
}

export function validateBlueprint(value: unknown): TemplateBlueprint {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('A template must be a JSON object.', 'template');
  const v = value as Record<string, unknown>;
  const templateId = text(v.templateId, 'templateId', 63);
  if (!ID.test(templateId)) fail('templateId must be lowercase letters, digits and hyphens.', 'templateId');
  const theme = text(v.theme, 'theme', 64);
  if (!(AVAILABLE_THEMES as readonly string[]).includes(theme)) fail(`theme must be one of ${AVAILABLE_THEMES.join(', ')}.`, 'theme');
  const plugins = v.plugins === undefined ? [] : v.plugins;
  if (!Array.isArray(plugins) || plugins.length > 20) fail('plugins must be a list of up to 20 {slug, version?}.', 'plugins');
  for (const p of plugins) if (typeof p?.slug !== 'string' || !SLUG.test(p.slug) || (p.version !== undefined && typeof p.version !== 'string')) fail('each plugin needs a slug (and an optional version).', 'plugins');
  const pages = v.pages === undefined ? [] : v.pages;
  if (!Array.isArray(pages) || pages.length > 50) fail('pages must be a list of up to 50 pages.', 'pages');
  for (const p of pages) {
    text(p?.title, 'pages[].title', 200);
    if (typeof p.content !== 'string' || p.content.length > 100_000) fail('pages[].content must be a string up to 100,000 characters.', 'pages[].content');
    if (p.slug !== undefined && (typeof p.slug !== 'string' || !SLUG.test(p.slug))) fail('pages[].slug must be lowercase letters, digits and hyphens.', 'pages[].slug');
    if (p.type !== undefined && p.type !== 'page' && p.type !== 'post') fail('pages[].type must be page or post.', 'pages[].type');
  }
  let menu: TemplateBlueprint['menu'];
  if (v.menu !== undefined) {
    const m = v.menu as Record<string, unknown>;
    const name = text(m?.name, 'menu.name', 100);
    if (!Array.isArray(m.items) || m.items.some((i) => typeof i !== 'string')) fail('menu.items must be a list of page titles.', 'menu.items');
    menu = { name, items: m.items as string[] };
  }
  return {
    templateId,
    name: text(v.name, 'name', 100),
    description: text(v.description ?? v.name, 'description', 1000),
    theme,
    plugins: plugins as TemplateBlueprint['plugins'],
    options: validateOptions(v.options),
    pages: pages as TemplateBlueprint['pages'],
    ...(menu ? { menu } : {}),
  };
}
