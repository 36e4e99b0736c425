// Test data in the student's OLTP: people and orders a test file creates get a fresh id each and
// are removed in after(), whatever happened (their CDC events stay in the topics, as any change).
import { randomInt } from "node:crypto";
import { query } from "../../lib/db";

export class DadosDeTeste {
  readonly pessoas: number[] = [];
  readonly pedidos: number[] = [];

  /** A CPF-like id no person has (nor one this file already took), reserved for removal. */
  async pessoaNova(): Promise<number> {
    for (;;) {
      const id = randomInt(10_000_000_000, 99_999_999_999);
      const [{ n }] = await query<{ n: number }>("oltp", "SELECT count(*)::int AS n FROM pessoas WHERE id = $1", [id]);
      if (n === 0 && !this.pessoas.includes(id)) {
        this.pessoas.push(id);
        return id;
      }
    }
  }

  /** Deletes the orders (items and audit rows cascade), then the people no order points to. */
  async remover(): Promise<void> {
    if (this.pedidos.length) await query("oltp", "DELETE FROM pedidos WHERE id = ANY($1)", [this.pedidos]).catch(() => undefined);
    if (this.pessoas.length) {
      await query("oltp", "DELETE FROM pessoas p WHERE id = ANY($1) AND NOT EXISTS (SELECT 1 FROM pedidos WHERE id_pessoa = p.id)", [
        this.pessoas,
      ]).catch(() => undefined);
    }
  }
}
