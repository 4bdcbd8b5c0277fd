/**
 * The page's stylesheet and client script, kept as real CSS and JavaScript files under `assets/`
 * (for editors, linters and diffs) and inlined into the page, which makes no requests.
 *
 * A file's leading comments are notes for its readers and tools (formatter and linter directives)
 * and stay out of the page; the rest, from the blank line after them, is inlined byte for byte.
 * @module
 */

/** The files under `assets/`. */
export type AssetName = "report.css" | "report.client.js";

/** Leading line and block comments, each ending its line. */
const HEADER = /^(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/\n)*/;

/**
 * The text of `assets/<name>` to inline, without its leading comments. Read at each render (a
 * few kilobytes), so the report task needs read access to this folder (`--allow-read=.` from the
 * repository root).
 * @throws when the file cannot be read, naming it and what reading it requires.
 */
export function asset(name: AssetName): string {
  const url = new URL(`./assets/${name}`, import.meta.url);
  let text: string;
  try {
    text = Deno.readTextFileSync(url);
  } catch (e) {
    throw new Error(
      `Cannot read the report's ${name} to inline it: ${url.href} must be a local file that ` +
        `this process may read (e.g. --allow-read=. from the repository root): ${
          (e as Error).message
        }`,
    );
  }
  // As a template literal in a .ts file did: line ends are \n whatever the checkout's are.
  return text.replace(/\r\n?/g, "\n").replace(HEADER, "");
}
