// The DW marts a test reads, built by dbt over what the OLTP holds now. A fresh DW has no
// snapshot of the people yet, and `dbt run` alone cannot build the marts that read it: the
// snapshot runs first (as in `dbt build`). A test that needs marts builds them or fails; it
// never skips for want of them.
import assert from "node:assert/strict";
import { config } from "../../lib/config";
import { query } from "../../lib/db";
import { dbt } from "../../lib/dbt";
import { prepararDw } from "../../lib/dw";
import { cacheDir } from "../../stack/proc";
import { caminhosDoDbt } from "../../stack/python";

/** dbt snapshot + dbt run; fails naming the nodes that failed. */
export async function carregarDw(): Promise<void> {
  await prepararDw();
  const caminhos = await caminhosDoDbt({ cacheDir: cacheDir(), repoRoot: config().root });
  for (const comando of ["snapshot", "run"]) {
    const r = await dbt([comando], { caminhos, aoLinha: () => undefined });
    const falhas = r.resultados.filter((n) => !["success", "pass"].includes(n.status)).map((n) => `${n.nome} (${n.status})`);
    assert.equal(r.codigo, 0, `dbt ${comando} failed: ${falhas.join(", ") || "see dbt_project/logs/dbt.log"}`);
  }
}

/** Builds the marts when any of `modelos` is missing from the DW, then checks they all exist. */
export async function garantirMarts(modelos: readonly string[]): Promise<void> {
  const faltando = async () =>
    (
      await query<{ modelo: string }>("dw", "SELECT m AS modelo FROM unnest($1::text[]) AS m WHERE to_regclass('marts.' || m) IS NULL", [
        modelos,
      ])
    ).map((r) => r.modelo);
  if ((await faltando()).length) await carregarDw();
  assert.deepEqual(await faltando(), [], "the marts this test reads are still missing after dbt snapshot + run");
}
