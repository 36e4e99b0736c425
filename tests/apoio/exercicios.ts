// Helpers of the exercise tests: keep the student's progress (curso.progresso) intact around a
// test that writes its own rows, and run psql with the kit's settings, as a student would.
import { execFileSync } from "node:child_process";
import { config } from "../../lib/config";
import { withClient } from "../../lib/db";
import { SQL_PROGRESSO } from "../../lib/exercicios/progresso";

/** Saves every row of curso.progresso; the returned function puts exactly those back. */
export async function guardarProgresso(): Promise<() => Promise<void>> {
  const guardadas = await withClient("oltp", async (client) => {
    await client.query(SQL_PROGRESSO);
    return (await client.query("SELECT * FROM curso.progresso")).rows;
  });
  return () =>
    withClient("oltp", async (client) => {
      await client.query("BEGIN");
      await client.query("DELETE FROM curso.progresso");
      for (const r of guardadas) {
        await client.query(
          `INSERT INTO curso.progresso (exercicio, aula, origem, ok, tentativas, resolvido_em, ultima_tentativa_em, ultima_situacao)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [r.exercicio, r.aula, r.origem, r.ok, r.tentativas, r.resolvido_em, r.ultima_tentativa_em, r.ultima_situacao],
        );
      }
      await client.query("COMMIT");
    });
}

/** Empties curso.progresso (the caller restores it with guardarProgresso's function). */
export async function limparProgresso(): Promise<void> {
  await withClient("oltp", (client) => client.query("DELETE FROM curso.progresso"));
}

/** Runs one psql command (-c) against the OLTP, as the student does in the terminal. */
export function psql(comando: string): string {
  const { oltp } = config();
  return execFileSync(
    "psql",
    ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", oltp.host, "-p", String(oltp.port), "-U", oltp.user, "-d", oltp.database, "-c", comando],
    { env: { ...process.env, PGPASSWORD: oltp.password }, encoding: "utf8" },
  );
}
