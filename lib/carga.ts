// Writing what the generators plan: bulk COPY inside the caller's transaction, with every
// constraint of the OLTP model enforced, and the ground-truth labels kept apart in their own
// schema (they are the answer key, not part of the store's model).
import { once } from "node:events";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { formatarCentavos, novoEstado, paraCentavos, type EstadoPessoa, type PedidoPlanejado, type Produto } from "./planejador";
import { DISPOSITIVOS, type Pessoa } from "./pessoas";

/** Where the generators write: the OLTP tables' schema and the labels' schema. */
export interface Destino {
  oltp: string;
  rotulos: string;
}

export const DESTINO_PADRAO: Destino = { oltp: "public", rotulos: "gabarito" };

const ident = (client: pg.ClientBase, name: string) => client.escapeIdentifier(name);
const tabela = (client: pg.ClientBase, schema: string, nome: string) => `${ident(client, schema)}.${ident(client, nome)}`;

/** The label table (answer key of the fraud lessons): one row per injected fraud. */
export async function garantirRotulos(client: pg.ClientBase, destino: Destino = DESTINO_PADRAO): Promise<void> {
  await client.query(`
    CREATE SCHEMA IF NOT EXISTS ${ident(client, destino.rotulos)};
    CREATE TABLE IF NOT EXISTS ${tabela(client, destino.rotulos, "rotulos_fraude")} (
      id_pedido   bigint      NOT NULL,
      tipo        text        NOT NULL,
      injetado_em timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT rotulos_fraude_pkey PRIMARY KEY (id_pedido),
      CONSTRAINT rotulos_fraude_id_pedido_fkey FOREIGN KEY (id_pedido)
        REFERENCES ${tabela(client, destino.oltp, "pedidos")} (id) ON DELETE CASCADE,
      CONSTRAINT rotulos_fraude_tipo_check CHECK (tipo IN ('dispositivo', 'local'))
    );
    COMMENT ON TABLE ${tabela(client, destino.rotulos, "rotulos_fraude")} IS
      'Gabarito: fraudes injetadas pelos geradores (em produção seriam os chargebacks confirmados).';`);
}

export async function carregarCatalogo(client: pg.ClientBase, destino: Destino = DESTINO_PADRAO): Promise<Produto[]> {
  const { rows } = await client.query<{ id: number; id_categoria: number; valor_unit: string }>(
    `SELECT id, id_categoria, valor_unit::text AS valor_unit FROM ${tabela(client, destino.oltp, "produtos")} ORDER BY id`,
  );
  return rows.map((r) => ({ id: r.id, id_categoria: r.id_categoria, centavos: paraCentavos(r.valor_unit) }));
}

/** Every person with the first order's instant and the devices ever used (what the fraud rules look at). */
export async function carregarEstados(client: pg.ClientBase, destino: Destino = DESTINO_PADRAO): Promise<EstadoPessoa[]> {
  const { rows } = await client.query<{
    id: number;
    nome: string;
    sexo: "M" | "F";
    dt_nasc: string;
    primeira: Date | null;
    usados: string[];
  }>(
    `SELECT p.id, p.nome, p.sexo, p.dt_nasc::text AS dt_nasc, h.primeira, coalesce(h.usados, '{}') AS usados
       FROM ${tabela(client, destino.oltp, "pessoas")} p
       LEFT JOIN (SELECT pe.id_pessoa, min(pe.dt_venda) AS primeira, array_agg(DISTINCT a.dispositivo) AS usados
                    FROM ${tabela(client, destino.oltp, "pedidos")} pe
                    JOIN ${tabela(client, destino.oltp, "auditoria_pedidos")} a ON a.id_pedido = pe.id
                   GROUP BY pe.id_pessoa) h ON h.id_pessoa = p.id
      ORDER BY p.id`,
  );
  return rows.map((r) => novoEstado({ id: r.id, nome: r.nome, sexo: r.sexo, dt_nasc: r.dt_nasc }, r.primeira?.getTime(), r.usados));
}

/** Inserts people; an id that already exists is skipped. Returns the ones inserted. */
export async function inserirPessoas(
  client: pg.ClientBase,
  pessoas: readonly Pessoa[],
  destino: Destino = DESTINO_PADRAO,
): Promise<Pessoa[]> {
  if (pessoas.length === 0) return [];
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO ${tabela(client, destino.oltp, "pessoas")} (id, nome, sexo, dt_nasc)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::char(1)[], $4::date[])
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [pessoas.map((p) => p.id), pessoas.map((p) => p.nome), pessoas.map((p) => p.sexo), pessoas.map((p) => p.dt_nasc)],
  );
  const inseridos = new Set(rows.map((r) => r.id));
  return pessoas.filter((p) => inseridos.has(p.id));
}

async function copiar(client: pg.ClientBase, alvo: string, colunas: string[], linhas: string): Promise<void> {
  if (linhas.length === 0) return;
  const stream = client.query(copyFrom(`COPY ${alvo} (${colunas.join(", ")}) FROM STDIN`));
  stream.end(linhas);
  await once(stream, "finish");
}

/**
 * Each generator plans from the state it loaded, so two of them running at once (a terminal's
 * `npm run streaming` and a notebook's burst) could both pick the same "never used" device for
 * a person, and the later order's label would lie. Write transactions are serialized per schema
 * by an advisory lock (taken by the caller's transaction just before this), and each
 * 'dispositivo' fraud is checked here against everything committed: a device the person already
 * used, at any instant, is swapped for one still unused; with none left the order becomes a clean
 * one on a device used before it, without a label. Adjusts `pedidos` in place.
 */
async function conferirDispositivosNovos(client: pg.ClientBase, pedidos: readonly PedidoPlanejado[], destino: Destino): Promise<void> {
  const fraudes = pedidos.filter((p) => p.fraude === "dispositivo").sort((a, b) => a.dt_venda.getTime() - b.dt_venda.getTime());
  if (fraudes.length === 0) return;
  const { rows } = await client.query<{ id_pessoa: string; dispositivo: string; dt_venda: Date }>(
    `SELECT pe.id_pessoa, a.dispositivo, pe.dt_venda
       FROM ${tabela(client, destino.oltp, "pedidos")} pe
       JOIN ${tabela(client, destino.oltp, "auditoria_pedidos")} a ON a.id_pedido = pe.id
      WHERE pe.id_pessoa = ANY($1::bigint[])`,
    [[...new Set(fraudes.map((p) => p.id_pessoa))]],
  );
  // Every use of a device by these people: committed rows, then this batch's own orders.
  type Uso = { dispositivo: string; t: number; pedido?: PedidoPlanejado };
  const usos = new Map<number, Uso[]>(fraudes.map((p) => [p.id_pessoa, []]));
  for (const r of rows) usos.get(Number(r.id_pessoa))!.push({ dispositivo: r.dispositivo, t: r.dt_venda.getTime() });
  for (const p of pedidos) usos.get(p.id_pessoa)?.push({ dispositivo: p.dispositivo, t: p.dt_venda.getTime(), pedido: p });
  for (const p of fraudes) {
    const t = p.dt_venda.getTime();
    const outros = usos.get(p.id_pessoa)!.filter((u) => u.pedido !== p);
    if (!outros.some((u) => u.dispositivo === p.dispositivo)) continue;
    const livres = DISPOSITIVOS.filter((d) => !outros.some((u) => u.dispositivo === d));
    const anterior = outros.find((u) => u.t < t);
    if (livres.length > 0) {
      p.dispositivo = livres[t % livres.length];
    } else if (anterior) {
      p.dispositivo = anterior.dispositivo;
      p.fraude = undefined;
    } else {
      throw new Error(`Fraude de dispositivo planejada sem pedido anterior da pessoa ${p.id_pessoa}: erro do planejador.`);
    }
    usos.get(p.id_pessoa)!.find((u) => u.pedido === p)!.dispositivo = p.dispositivo;
  }
}

export interface Lote {
  pedidos: number;
  itens: number;
  fraudes: number;
}

/**
 * Writes planned orders (order, items, audit row, label) with COPY, inside the caller's
 * transaction. `enquantoGrava` runs after the items were handed to the server and before
 * waiting for it: the next batch is planned while PostgreSQL checks this one's keys.
 */
export async function gravarPedidos(
  client: pg.ClientBase,
  pedidos: readonly PedidoPlanejado[],
  destino: Destino = DESTINO_PADRAO,
  enquantoGrava?: () => void,
): Promise<Lote> {
  const lote: Lote = { pedidos: pedidos.length, itens: 0, fraudes: 0 };
  if (pedidos.length === 0) {
    enquantoGrava?.();
    return lote;
  }
  await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`liga_sudoers.geradores.${destino.oltp}`]);
  await conferirDispositivosNovos(client, pedidos, destino);
  const { rows } = await client.query<{ id: number }>(
    "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id FROM generate_series(1, $2)",
    [tabela(client, destino.oltp, "pedidos"), pedidos.length],
  );
  let pedidosTxt = "";
  let itensTxt = "";
  let auditoriaTxt = "";
  let rotulosTxt = "";
  pedidos.forEach((p, i) => {
    const id = rows[i].id;
    pedidosTxt += `${id}\t${p.id_pessoa}\t${p.dt_venda.toISOString()}\t${formatarCentavos(p.centavos)}\n`;
    for (const item of p.itens) itensTxt += `${id}\t${item.id_produto}\t${item.qtde}\t${formatarCentavos(item.centavos)}\n`;
    lote.itens += p.itens.length;
    auditoriaTxt += `${id}\t${p.dispositivo}\t${p.geohash}\t${p.telefone}\n`;
    if (p.fraude) {
      rotulosTxt += `${id}\t${p.fraude}\n`;
      lote.fraudes++;
    }
  });
  await copiar(client, tabela(client, destino.oltp, "pedidos"), ["id", "id_pessoa", "dt_venda", "valor_total"], pedidosTxt);
  const itens = copiar(client, tabela(client, destino.oltp, "itens_pedidos"), ["id_pedido", "id_produto", "qtde", "valor_total"], itensTxt);
  enquantoGrava?.();
  await itens;
  await copiar(
    client,
    tabela(client, destino.oltp, "auditoria_pedidos"),
    ["id_pedido", "dispositivo", "geohash", "telefone"],
    auditoriaTxt,
  );
  await copiar(client, tabela(client, destino.rotulos, "rotulos_fraude"), ["id_pedido", "tipo"], rotulosTxt);
  return lote;
}
