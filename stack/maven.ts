// Jars from Maven Central: `mvn dependency:copy-dependencies` of a pinned pom into a cache folder,
// once per version and pom, staged beside the target so a failed download never looks complete.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { commandExists, run } from "./proc";

interface Marker {
  version: string;
  pom: string;
}

const MARKER = ".complete.json";

/** Runs `mvn dependency:copy-dependencies` for one pom into `dir`, unless `dir` already holds it. */
export async function copyDependencies(opts: {
  pom: string;
  dir: string;
  version: string;
  properties: Record<string, string>;
  mavenRepo?: string;
}): Promise<void> {
  const pom = readFileSync(opts.pom, "utf8");
  const want: Marker = { version: opts.version, pom };
  const marker = join(opts.dir, MARKER);
  if (existsSync(marker)) {
    try {
      const have = JSON.parse(readFileSync(marker, "utf8")) as Marker;
      if (have.version === want.version && have.pom === want.pom) return;
    } catch {
      /* unreadable marker: rebuild */
    }
  }
  if (!commandExists("mvn")) {
    throw new Error(`Maven (mvn) não encontrado: instale-o (apt-get install maven) para baixar os jars de ${opts.version}.`);
  }
  // Lay the jars out beside the target and swap it in, so a failed or interrupted
  // download never leaves a half-filled classpath behind a valid marker.
  const staging = `${opts.dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const args = ["-q", "-B", "-f", opts.pom];
  for (const [key, value] of Object.entries(opts.properties)) args.push(`-D${key}=${value}`);
  if (opts.mavenRepo) args.push(`-Dmaven.repo.local=${opts.mavenRepo}`);
  args.push("dependency:copy-dependencies", `-DoutputDirectory=${staging}`);
  try {
    await run("mvn", args);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `Não consegui baixar do Maven Central os jars de ${opts.version} (${opts.pom}). ` +
        `Confira a versão no .env e o acesso ao Maven.\n${(err as Error).message}`,
    );
  }
  rmSync(opts.dir, { recursive: true, force: true });
  mkdirSync(dirname(opts.dir), { recursive: true });
  renameSync(staging, opts.dir);
  // Written last: its presence means the folder is complete.
  writeFileSync(marker, `${JSON.stringify(want)}\n`);
}
