/**
 * Every relative link in the repository's Markdown resolves: the file or folder it names exists, and its
 * `#anchor` names a heading of the target as GitHub renders it. External links (a scheme such as `https:`, or
 * `//host`) are left alone: checking them would need the network.
 *
 * The files are those git tracks plus those it would track (untracked and not ignored), so a new document is
 * checked before its first commit. Fenced code blocks and inline code are not links.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** A link that does not resolve: where it is, what it says, and why it fails. */
interface BrokenLink {
  file: string;
  line: number;
  target: string;
  problem: string;
}

/** `[text](target)` and `![alt](target)`, with an optional title; `<target>` may hold spaces. */
const INLINE_LINK = /\]\(\s*(<[^>\n]*>|[^\s)]+)(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?\s*\)/g;
/** `[label]: target`, a reference definition. */
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)/gm;
/** `href="…"` and `src="…"` in inline HTML. */
const HTML_LINK = /\b(?:href|src)\s*=\s*"([^"]*)"/g;
/** GitHub's line anchors on a source file: `#L10`, `#L10-L20`. */
const LINE_ANCHOR = /^L\d+(?:-L\d+)?$/;

/** The Markdown files of the repository, relative to its root, as git lists them. */
function markdownFiles(): string[] {
  const listed = execFileSync(
    "git",
    ["ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "*.md", "*.markdown"],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  const files = listed.split("\0").filter((file) => file !== "" && existsSync(path.join(REPO_ROOT, file)));
  return [...new Set(files)].sort();
}

/**
 * The text with fenced code blocks and inline code blanked out (every character but line breaks becomes a
 * space), so that what remains is prose and line numbers stay as they were.
 */
export function proseOnly(markdown: string): string {
  const blank = (text: string): string => text.replace(/[^\n]/g, " ");
  const lines = markdown.split("\n");
  let fence: string | undefined;
  const kept = lines.map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker !== undefined) {
      fence = marker;
      return blank(line);
    }
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) {
        fence = undefined;
      }
      return blank(line);
    }
    return line;
  });
  return kept.join("\n").replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, blank);
}

/** The text a heading shows, as GitHub renders its Markdown: no code ticks, link targets, emphasis or tags. */
function headingText(source: string): string {
  return source
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/`/g, "")
    .replace(/(\*{1,3}|~~)(\S(?:[^*~]*\S)?)\1/g, "$2")
    .replace(/(^|[^\p{L}\p{N}])(_{1,3})(\S(?:[^_]*\S)?)\2(?=[^\p{L}\p{N}]|$)/gu, "$1$3")
    .trim();
}

/** GitHub's slug of one heading's text (github-slugger): lowercase, punctuation removed, spaces to hyphens. */
export function slug(text: string): string {
  return headingText(text)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a Markdown document offers: its headings' slugs, numbered as GitHub numbers repeats, and HTML ids. */
export function anchors(markdown: string): Set<string> {
  const prose = proseOnly(markdown);
  const lines = prose.split("\n");
  const headings: string[] = [];
  lines.forEach((line, index) => {
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line);
    const next = lines[index + 1] ?? "";
    if (atx !== null) {
      // Code spans were blanked in `prose`: take the heading's own text from the source line.
      const source = markdown.split("\n")[index] ?? "";
      headings.push(/^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(source)?.[1] ?? "");
    } else if (line.trim() !== "" && /^ {0,3}(?:=+|-+)[ \t]*$/.test(next) && !/^ {0,3}[-*+>|]/.test(line)) {
      headings.push(markdown.split("\n")[index] ?? "");
    }
  });
  const found = new Set<string>();
  const occurrences = new Map<string, number>();
  for (const heading of headings) {
    const base = slug(heading);
    let result = base;
    while (found.has(result)) {
      const count = (occurrences.get(base) ?? 0) + 1;
      occurrences.set(base, count);
      result = `${base}-${count}`;
    }
    found.add(result);
  }
  for (const match of markdown.matchAll(/<a\s[^>]*\b(?:name|id)\s*=\s*"([^"]+)"/g)) {
    found.add(match[1] ?? "");
  }
  return found;
}

/** The link targets in a document, each with its line number. */
export function linkTargets(markdown: string): { target: string; line: number }[] {
  const prose = proseOnly(markdown);
  const lineOf = (offset: number): number => prose.slice(0, offset).split("\n").length;
  const targets: { target: string; line: number }[] = [];
  for (const pattern of [INLINE_LINK, REFERENCE_DEFINITION, HTML_LINK]) {
    for (const match of prose.matchAll(pattern)) {
      const raw = match[1] ?? "";
      targets.push({ target: raw.replace(/^<(.*)>$/, "$1"), line: lineOf(match.index ?? 0) });
    }
  }
  return targets.sort((a, b) => a.line - b.line);
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");
}

/** Why one relative link from `file` (relative to `root`) does not resolve, or undefined when it does. */
export function problemWith(root: string, file: string, target: string): string | undefined {
  const hash = target.indexOf("#");
  const pathPart = (hash === -1 ? target : target.slice(0, hash)).replace(/\?.*$/, "");
  const anchor = hash === -1 ? "" : decodeURIComponent(target.slice(hash + 1));
  const decoded = decodeURIComponent(pathPart);
  const resolved =
    decoded === ""
      ? path.join(root, file)
      : decoded.startsWith("/")
        ? path.join(root, decoded)
        : path.resolve(root, path.dirname(file), decoded);
  const relative = path.relative(root, resolved);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    return `${decoded} is outside the repository`;
  }
  if (!existsSync(resolved)) {
    return `${relative} does not exist`;
  }
  if (anchor === "") {
    return undefined;
  }
  const document = statSync(resolved).isDirectory() ? path.join(resolved, "README.md") : resolved;
  if (!/\.(md|markdown)$/i.test(document)) {
    return LINE_ANCHOR.test(anchor)
      ? undefined
      : `#${anchor}: ${relative} is not Markdown, so has no headings`;
  }
  if (!existsSync(document)) {
    return `#${anchor}: ${relative} has no README.md to hold it`;
  }
  return anchors(readFileSync(document, "utf8")).has(anchor)
    ? undefined
    : `#${anchor} is no heading of ${path.relative(root, document)}`;
}

/** Every broken relative link in the given Markdown files of `root`. */
export function brokenLinks(root: string, files: readonly string[]): BrokenLink[] {
  const broken: BrokenLink[] = [];
  for (const file of files) {
    const markdown = readFileSync(path.join(root, file), "utf8");
    for (const { target, line } of linkTargets(markdown)) {
      if (isExternal(target)) {
        continue;
      }
      const problem = problemWith(root, file, target);
      if (problem !== undefined) {
        broken.push({ file, line, target, problem });
      }
    }
  }
  return broken;
}

describe("docs-links: every relative link and anchor in the repository's Markdown resolves", () => {
  it("GitHub's heading slugs: lowercase, punctuation removed, spaces to hyphens, repeats numbered", () => {
    expect(slug("Exactly once when a deployment is killed")).to.equal(
      "exactly-once-when-a-deployment-is-killed",
    );
    expect(slug("The command-line tool: narrative-jobs")).to.equal("the-command-line-tool-narrative-jobs");
    expect(slug("Yarn Plug'n'Play")).to.equal("yarn-plugnplay");
    expect(slug("What `unfinishedRun` says (v2.0)")).to.equal("what-unfinishedrun-says-v20");
    expect(slug("**Bold** and [a link](x.md) and snake_case")).to.equal("bold-and-a-link-and-snake_case");
    expect(slug("Retries, and never rescheduling twice")).to.equal("retries-and-never-rescheduling-twice");
    const offered = anchors("# Go\n\n## Go\n\n### Go\n\n```md\n# Not a heading\n```\n\nSetext\n------\n");
    expect([...offered]).to.deep.equal(["go", "go-1", "go-2", "setext"]);
  });

  it("links in code are not links; references, images and HTML are", () => {
    const markdown = [
      "See [a](a.md#x), ![b](b.png) and `[c](c.md)`.",
      "```",
      "[d](d.md)",
      "```",
      '[e]: e.md "title"',
      '<a href="f.md">f</a>',
    ].join("\n");
    expect(linkTargets(markdown)).to.deep.equal([
      { target: "a.md#x", line: 1 },
      { target: "b.png", line: 1 },
      { target: "e.md", line: 5 },
      { target: "f.md", line: 6 },
    ]);
  });

  it("finds a missing file, a missing anchor and a link out of the repository, and passes the rest", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "docs-links-"));
    try {
      mkdirSync(path.join(root, "docs"));
      writeFileSync(path.join(root, "docs", "topic.md"), "# Topic\n\n## Fine print\n");
      writeFileSync(path.join(root, "main.go"), "package main\n");
      writeFileSync(
        path.join(root, "README.md"),
        [
          "# Title",
          "[ok](docs/topic.md#fine-print) [self](#title) [dir](docs/) [line](main.go#L1) [web](https://x.test/#a)",
          "[gone](docs/gone.md) [no anchor](docs/topic.md#small-print) [out](../elsewhere.md)",
          "[self, wrong](#titel)",
        ].join("\n"),
      );
      expect(brokenLinks(root, ["README.md", "docs/topic.md"])).to.deep.equal([
        { file: "README.md", line: 3, target: "docs/gone.md", problem: "docs/gone.md does not exist" },
        {
          file: "README.md",
          line: 3,
          target: "docs/topic.md#small-print",
          problem: "#small-print is no heading of docs/topic.md",
        },
        {
          file: "README.md",
          line: 3,
          target: "../elsewhere.md",
          problem: "../elsewhere.md is outside the repository",
        },
        { file: "README.md", line: 4, target: "#titel", problem: "#titel is no heading of README.md" },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("the repository's Markdown: README.md, CONTRIBUTING.md, docs/, CHANGELOG.md and every other", () => {
    const files = markdownFiles();
    for (const expected of ["README.md", "CONTRIBUTING.md", "CHANGELOG.md"]) {
      expect(files, "the Markdown files git lists").to.include(expected);
    }
    expect(files.filter((file) => /^docs\/[^/]+\.md$/.test(file)).length, "docs/*.md").to.be.greaterThan(0);
    expect(brokenLinks(REPO_ROOT, files)).to.deep.equal([]);
  });
});
