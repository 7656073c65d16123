// Parse every ```mermaid block of the Markdown files given (or of stdin) with Mermaid's own
// parser, as a code-hosting site does before it draws them. Prints one JSON line per block:
// {"file", "block", "ok", "type" | "error"}; exits 1 when a block does not parse, 2 on bad usage.
import { readFileSync } from "node:fs";

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

function blocks(text) {
  const found = [];
  const fence = /^```mermaid[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m = fence.exec(text); m !== null; m = fence.exec(text)) found.push(m[1]);
  return found;
}

const files = process.argv.slice(2);
const inputs = files.length
  ? files.map((f) => [f, readFileSync(f, "utf8")])
  : [["-", readFileSync(0, "utf8")]];
let failed = 0;
let total = 0;
for (const [file, text] of inputs) {
  for (const [index, source] of blocks(text).entries()) {
    total += 1;
    try {
      const result = await mermaid.parse(source);
      console.log(JSON.stringify({ file, block: index, ok: true, type: result.diagramType }));
    } catch (error) {
      failed += 1;
      console.log(JSON.stringify({ file, block: index, ok: false, error: String(error.message ?? error) }));
    }
  }
}
if (total === 0) {
  console.error("no ```mermaid block found");
  process.exit(2);
}
process.exit(failed ? 1 : 0);
