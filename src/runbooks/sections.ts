import MarkdownIt from 'markdown-it';

/**
 * A runbook file split into the sections a tier page places: what only people know about
 * an SLO. Sections are `## ` headings; the tokenizer finds them, so a `## ` inside a code
 * block stays code.
 */

export const SECTION_KEYS = [
  'symptoms',
  'mitigation',
  'hypotheses',
  'escalation',
  'postmortem',
  'related',
] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];

/** The heading each section is written under, and the other spellings people use. */
export const SECTION_HEADINGS: Record<SectionKey, { title: string; aliases: string[] }> = {
  symptoms: { title: 'Symptoms', aliases: ['symptoms users see', 'what users see'] },
  mitigation: { title: 'Mitigation steps', aliases: ['mitigation', 'mitigations'] },
  hypotheses: { title: 'Root-cause hypotheses', aliases: ['hypotheses', 'root causes', 'likely causes'] },
  escalation: { title: 'When to escalate', aliases: ['escalation', 'escalate'] },
  postmortem: { title: 'Postmortem checklist', aliases: ['postmortem', 'post mortem checklist'] },
  related: { title: 'Related', aliases: ['see also', 'links'] },
};

export interface MarkdownSection {
  title: string;
  markdown: string;
}

export interface RunbookSections {
  /** The `# ` heading, when the file starts with one. */
  title?: string;
  /** Markdown before the first `## `. */
  intro: string;
  known: Partial<Record<SectionKey, string>>;
  /** Sections under headings burnbook does not know, kept in file order so nothing is lost. */
  extra: MarkdownSection[];
}

const tokenizer = new MarkdownIt();

function normalize(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const KEY_BY_HEADING = new Map<string, SectionKey>(
  SECTION_KEYS.flatMap((key) =>
    [SECTION_HEADINGS[key].title, ...SECTION_HEADINGS[key].aliases].map((h) => [normalize(h), key] as const),
  ),
);

function sectionKey(heading: string): SectionKey | undefined {
  return KEY_BY_HEADING.get(normalize(heading));
}

interface Heading {
  level: number;
  text: string;
  /** First and one-past-last source line of the heading. */
  start: number;
  end: number;
}

function headings(markdown: string): Heading[] {
  const tokens = tokenizer.parse(markdown, {});
  const out: Heading[] = [];
  tokens.forEach((token, i) => {
    if (token.type !== 'heading_open' || token.level !== 0 || !token.map) return;
    out.push({
      level: Number(token.tag.slice(1)),
      text: tokens[i + 1]?.content.trim() ?? '',
      start: token.map[0],
      end: token.map[1],
    });
  });
  return out;
}

export function parseSections(markdown: string): RunbookSections {
  const lines = markdown.split(/\r?\n/);
  const slice = (from: number, to: number) => lines.slice(from, to).join('\n').trim();
  const all = headings(markdown);
  const h2 = all.filter((h) => h.level === 2);
  const firstH2 = h2[0]?.start ?? lines.length;
  const h1 = all.find((h) => h.level === 1 && h.start < firstH2);

  const intro = h1 ? `${slice(0, h1.start)}\n${slice(h1.end, firstH2)}`.trim() : slice(0, firstH2);
  const result: RunbookSections = { intro, known: {}, extra: [], ...(h1 ? { title: h1.text } : {}) };
  h2.forEach((heading, i) => {
    const body = slice(heading.end, h2[i + 1]?.start ?? lines.length);
    const key = sectionKey(heading.text);
    // A repeated heading adds to the section rather than silently replacing it.
    if (key) result.known[key] = result.known[key] === undefined ? body : `${result.known[key]}\n\n${body}`;
    else result.extra.push({ title: heading.text, markdown: body });
  });
  return result;
}

/** The page title of a markdown file: its `# ` heading, or its name. */
export function markdownTitle(markdown: string, fallback: string): string {
  return headings(markdown).find((h) => h.level === 1)?.text || fallback;
}
