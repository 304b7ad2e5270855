/**
 * The templates every platform ships, built on Debian's packaged block themes. Operators add more
 * with `bbws templates add FILE` (docs/templates.md).
 */
import type { TemplateBlueprint } from '../../domain/template.js';

export const BUILTIN_TEMPLATES: readonly TemplateBlueprint[] = [
  {
    templateId: 'business-starter',
    name: 'Business starter',
    description: 'A small-business site: home, services, about and contact pages, with a main menu. Theme: Twenty Twenty-Three.',
    theme: 'twentytwentythree',
    plugins: [],
    options: { blogdescription: 'Quality services, close to you', posts_per_page: 6, default_comment_status: 'closed', permalink_structure: '/%postname%/' },
    pages: [
      { title: 'Home', slug: 'home', front: true, content: '<!-- wp:heading --><h2>Welcome</h2><!-- /wp:heading --><!-- wp:paragraph --><p>We help our customers every day. Tell us what you need.</p><!-- /wp:paragraph -->' },
      { title: 'Services', slug: 'services', content: '<!-- wp:list --><ul><li>Consulting</li><li>Delivery</li><li>Support</li></ul><!-- /wp:list -->' },
      { title: 'About us', slug: 'about', content: '<!-- wp:paragraph --><p>A team that cares about your business.</p><!-- /wp:paragraph -->' },
      { title: 'Contact', slug: 'contact', content: '<!-- wp:paragraph --><p>Write to us and we answer within a day.</p><!-- /wp:paragraph -->' },
    ],
    menu: { name: 'Main menu', items: ['Home', 'Services', 'About us', 'Contact'] },
  },
  {
    templateId: 'personal-blog',
    name: 'Personal blog',
    description: 'A blog with a welcome post, an about page and comments open. Theme: Twenty Twenty-Two.',
    theme: 'twentytwentytwo',
    plugins: [],
    options: { blogdescription: 'Notes, stories and ideas', posts_per_page: 10, default_comment_status: 'open', permalink_structure: '/%year%/%monthnum%/%postname%/' },
    pages: [
      { title: 'Hello from my new blog', slug: 'hello-new-blog', type: 'post', content: '<!-- wp:paragraph --><p>This is where my stories start.</p><!-- /wp:paragraph -->' },
      { title: 'About me', slug: 'about-me', content: '<!-- wp:paragraph --><p>Who I am and what I write about.</p><!-- /wp:paragraph -->' },
    ],
    menu: { name: 'Main menu', items: ['About me'] },
  },
  {
    templateId: 'portfolio',
    name: 'Portfolio',
    description: 'A portfolio for a freelancer or studio: work, about and contact pages. Theme: Twenty Twenty-One.',
    theme: 'twentytwentyone',
    plugins: [],
    options: { blogdescription: 'Selected work', default_comment_status: 'closed', permalink_structure: '/%postname%/' },
    pages: [
      { title: 'Work', slug: 'work', front: true, content: '<!-- wp:paragraph --><p>Projects we are proud of.</p><!-- /wp:paragraph -->' },
      { title: 'About', slug: 'about', content: '<!-- wp:paragraph --><p>Design and code, since 2010.</p><!-- /wp:paragraph -->' },
      { title: 'Contact', slug: 'contact', content: '<!-- wp:paragraph --><p>Let us build something together.</p><!-- /wp:paragraph -->' },
    ],
    menu: { name: 'Main menu', items: ['Work', 'About', 'Contact'] },
  },
];
