// as-pect 8.1 was compiled against AssemblyScript 0.27 with TypeScript const
// enums inlined as numbers ("51 /* NodeKind.ClassDeclaration */"). AS 0.28
// renumbered NodeKind, so the transform silently matches the wrong nodes and
// `expect()` on classes fails to compile. Rewrite every inlined literal to the
// installed compiler's value. Idempotent: the comment names the member, so a
// second run rewrites to the same numbers.
import { readFileSync, writeFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import * as as from "assemblyscript";

const dirs = ["node_modules/@as-pect/transform/lib"];
const literal = /(\d+) \/\* (NodeKind|CommonFlags|AssertionKind|TypeKind)\.(\w+) \*\//g;
let changed = 0;
for (const dir of dirs) {
  if (!existsSync(dir)) throw new Error(`patch-aspect: ${dir} not found (is @as-pect/cli installed?)`);
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".js"))) {
    const path = join(dir, file);
    const before = readFileSync(path, "utf8");
    const after = before.replace(literal, (_m, _num, enumName, member) => {
      const value = as[enumName]?.[member];
      if (typeof value !== "number") throw new Error(`patch-aspect: ${enumName}.${member} missing from assemblyscript`);
      return `${value} /* ${enumName}.${member} */`;
    });
    if (after !== before) { writeFileSync(path, after); changed++; }
  }
}
console.log(`patch-aspect: ${changed} file(s) rewritten for assemblyscript ${as.version ?? ""}`.trim());
