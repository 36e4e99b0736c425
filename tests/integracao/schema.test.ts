// OLTP schema (postgresql-init/*.sql) against a real PostgreSQL.
//
// Everything runs in ONE transaction, in a throw-away schema, and is rolled back at the end:
// the target database (config().oltp, usually the running stack) is left untouched even if
// the process dies midway (a dropped connection rolls back too). Every statement expected to
// fail runs inside a SAVEPOINT so that the transaction survives the error.
//
// Coverage is derived from the catalog: every FOREIGN KEY, CHECK, PRIMARY KEY and UNIQUE
// constraint found in pg_constraint must have a violation case below, and every NOT NULL
// column gets a generated case; a new constraint without a test makes this file fail.
//
// Run: npx tsx --test tests/integracao/schema.test.ts   (OLTP_PORT=... etc. override .env.example)
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { config } from "../../lib/config";
import { applySqlDir, sqlFiles } from "../../lib/db";
import { TABELAS_OLTP } from "../../lib/dominio";

// ---------------------------------------------------------------------------------------

const INIT_DIR = join(config().root, "postgresql-init");
const TABLES: readonly string[] = TABELAS_OLTP;
const SCHEMA = `teste_schema_${process.pid}_${Date.now()}`;

const SQLSTATE = { notNull: "23502", foreignKey: "23503", unique: "23505", check: "23514" } as const;
const CODE_BY_CONTYPE: Record<string, string> = {
  f: SQLSTATE.foreignKey,
  c: SQLSTATE.check,
  p: SQLSTATE.unique,
  u: SQLSTATE.unique,
};

const client = new pg.Client({ ...config().oltp, application_name: "liga-sudoers-schema-test" });

// Fixture ids (inserted in before(), valid rows every case starts from).
const PESSOA = 12345678901; // has an order
const PESSOA_SEM_PEDIDO = 98765432109;
let pedido = 0; // has an item (produto 1) and an audit row
let pedidoSemAuditoria = 0; // has nothing: audit rows are inserted for it
let pedidoSoItens = 0; // has an item only
let pedidoSoAuditoria = 0; // has an audit row only

before(async () => {
  const { host, port, database } = config().oltp;
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL OLTP indisponível em ${host}:${port}/${database} — suba a stack ` +
        "(npm run stack -- up) ou aponte OLTP_HOST/OLTP_PORT para outro servidor.",
      { cause: error },
    );
  }
  await client.query("BEGIN");
  await client.query("SET LOCAL statement_timeout = '60s'");
  await client.query("SET LOCAL lock_timeout = '10s'");
  await client.query(`CREATE SCHEMA ${SCHEMA}`);
  // Unqualified objects of the init files land here instead of public.
  await client.query(`SET LOCAL search_path TO ${SCHEMA}`);
  await applySqlDir(client, INIT_DIR);

  await client.query(
    `INSERT INTO pessoas (id, nome, sexo, dt_nasc) VALUES
       ($1, 'Maria Teste', 'F', '1990-05-10'), ($2, 'João Teste', 'M', '1985-01-01')`,
    [PESSOA, PESSOA_SEM_PEDIDO],
  );
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO pedidos (id_pessoa, dt_venda, valor_total)
     VALUES ($1, now() - interval '1 day', 289.58), ($1, now(), 0), ($1, now(), 929.20), ($1, now(), 0)
     RETURNING id`,
    [PESSOA],
  );
  [pedido, pedidoSemAuditoria, pedidoSoItens, pedidoSoAuditoria] = inserted.rows.map((r) => Number(r.id));
  await client.query(`INSERT INTO itens_pedidos (id_pedido, id_produto, qtde, valor_total) VALUES ($1, 1, 1, 289.58), ($2, 2, 1, 929.20)`, [
    pedido,
    pedidoSoItens,
  ]);
  await client.query(
    `INSERT INTO auditoria_pedidos (id_pedido, dispositivo, geohash, telefone)
     VALUES ($1, 'Iphone', '6gyf4bf8', '345678901'), ($2, 'Iphone', '6gyc', '345678901')`,
    [pedido, pedidoSoAuditoria],
  );
});

after(async () => {
  try {
    await client.query("ROLLBACK");
  } finally {
    await client.end();
  }
});

// ---------------------------------------------------------------------------------------
// Savepoint helpers.

let savepoints = 0;

/** Runs fn inside a savepoint that is always rolled back (its writes never leak). */
async function isolated<T>(fn: () => Promise<T>): Promise<T> {
  const name = `sp_${++savepoints}`;
  await client.query(`SAVEPOINT ${name}`);
  try {
    return await fn();
  } finally {
    await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
    await client.query(`RELEASE SAVEPOINT ${name}`);
  }
}

interface Expected {
  code: string;
  constraint?: string;
  column?: string;
  table?: string;
}

/** Asserts that sql is rejected by PostgreSQL with the expected SQLSTATE and constraint/column. */
async function rejects(sql: string, params: unknown[], expected: Expected): Promise<void> {
  const error = await isolated(async () => {
    try {
      await client.query(sql, params);
    } catch (caught) {
      return caught;
    }
    return undefined;
  });
  assert.ok(error, `deveria ter sido rejeitado: ${sql}`);
  assert.ok(error instanceof pg.DatabaseError, `erro inesperado: ${String(error)}`);
  const got = { code: error.code, constraint: error.constraint, column: error.column, table: error.table };
  const want = { ...got, ...expected };
  assert.deepEqual(got, want, `${sql}\n→ ${error.message}`);
}

/** Asserts that sql succeeds (boundary values), leaving nothing behind. */
async function accepts(sql: string, params: unknown[] = []): Promise<void> {
  await isolated(() => client.query(sql, params));
}

// ---------------------------------------------------------------------------------------
// Constraint violation cases: one or more per FK / CHECK / PK / UNIQUE constraint.

interface Case {
  constraint: string;
  what: string;
  sql: string;
  params?: () => unknown[];
}

const pessoa = (id: unknown, nome: unknown, sexo: unknown, dtNasc: unknown) => ({
  sql: "INSERT INTO pessoas (id, nome, sexo, dt_nasc) VALUES ($1, $2, $3, $4)",
  params: () => [id, nome, sexo, dtNasc],
});
const auditoria = (dispositivo: string, geohash: string, telefone: string) => ({
  sql: "INSERT INTO auditoria_pedidos (id_pedido, dispositivo, geohash, telefone) VALUES ($1, $2, $3, $4)",
  params: () => [pedidoSemAuditoria, dispositivo, geohash, telefone],
});

const CASES: Case[] = [
  // pessoas
  { constraint: "pessoas_pkey", what: "CPF repetido", ...pessoa(PESSOA, "Outra", "F", "1990-01-01") },
  { constraint: "pessoas_id_check", what: "id com 10 dígitos", ...pessoa(9999999999, "X", "M", "1990-01-01") },
  { constraint: "pessoas_id_check", what: "id com 12 dígitos", ...pessoa(100000000000, "X", "M", "1990-01-01") },
  { constraint: "pessoas_id_check", what: "id negativo", ...pessoa(-12345678901, "X", "M", "1990-01-01") },
  { constraint: "pessoas_nome_check", what: "nome vazio", ...pessoa(11111111111, "", "M", "1990-01-01") },
  { constraint: "pessoas_nome_check", what: "nome só espaços", ...pessoa(11111111111, "   ", "M", "1990-01-01") },
  { constraint: "pessoas_sexo_check", what: "sexo 'X'", ...pessoa(11111111111, "X", "X", "1990-01-01") },
  { constraint: "pessoas_sexo_check", what: "sexo minúsculo", ...pessoa(11111111111, "X", "f", "1990-01-01") },
  {
    constraint: "pessoas_dt_nasc_check",
    what: "nascimento no futuro",
    sql: "INSERT INTO pessoas (id, nome, sexo, dt_nasc) VALUES (11111111111, 'X', 'M', CURRENT_DATE + 1)",
  },
  { constraint: "pessoas_dt_nasc_check", what: "nascimento antes de 1900", ...pessoa(11111111111, "X", "M", "1899-12-31") },
  {
    constraint: "pessoas_sexo_check",
    what: "UPDATE para sexo inválido",
    sql: "UPDATE pessoas SET sexo = 'I' WHERE id = $1",
    params: () => [PESSOA],
  },

  // categorias
  { constraint: "categorias_pkey", what: "id repetido", sql: "INSERT INTO categorias (id, descricao) VALUES (1, 'Nova')" },
  {
    constraint: "categorias_descricao_key",
    what: "descrição repetida",
    sql: "INSERT INTO categorias (descricao) VALUES ('Pet')",
  },
  { constraint: "categorias_descricao_check", what: "descrição vazia", sql: "INSERT INTO categorias (descricao) VALUES (' ')" },

  // produtos
  {
    constraint: "produtos_pkey",
    what: "id repetido",
    sql: "INSERT INTO produtos (id, id_categoria, descricao, valor_unit) VALUES (1, 1, 'Novo', 10)",
  },
  {
    constraint: "produtos_id_categoria_descricao_key",
    what: "mesmo nome na mesma categoria",
    sql: "INSERT INTO produtos (id_categoria, descricao, valor_unit) VALUES (1, 'Camiseta Polo Masculina', 10)",
  },
  {
    constraint: "produtos_id_categoria_fkey",
    what: "categoria inexistente",
    sql: "INSERT INTO produtos (id_categoria, descricao, valor_unit) VALUES (999, 'Novo', 10)",
  },
  {
    constraint: "produtos_id_categoria_fkey",
    what: "UPDATE para categoria inexistente",
    sql: "UPDATE produtos SET id_categoria = 999 WHERE id = 1",
  },
  {
    constraint: "produtos_id_categoria_fkey",
    what: "DELETE de categoria com produtos (RESTRICT)",
    sql: "DELETE FROM categorias WHERE id = 9",
  },
  {
    constraint: "produtos_descricao_check",
    what: "descrição vazia",
    sql: "INSERT INTO produtos (id_categoria, descricao, valor_unit) VALUES (1, '', 10)",
  },
  {
    constraint: "produtos_valor_unit_check",
    what: "preço zero",
    sql: "INSERT INTO produtos (id_categoria, descricao, valor_unit) VALUES (1, 'Grátis', 0)",
  },
  {
    constraint: "produtos_valor_unit_check",
    what: "UPDATE para preço negativo",
    sql: "UPDATE produtos SET valor_unit = -1 WHERE id = 1",
  },

  // pedidos
  {
    constraint: "pedidos_pkey",
    what: "id repetido",
    sql: "INSERT INTO pedidos (id, id_pessoa, dt_venda, valor_total) VALUES ($1, $2, now(), 0)",
    params: () => [pedido, PESSOA],
  },
  {
    constraint: "pedidos_id_pessoa_fkey",
    what: "pessoa inexistente",
    sql: "INSERT INTO pedidos (id_pessoa, dt_venda, valor_total) VALUES (55555555555, now(), 0)",
  },
  {
    constraint: "pedidos_id_pessoa_fkey",
    what: "UPDATE para pessoa inexistente",
    sql: "UPDATE pedidos SET id_pessoa = 55555555555 WHERE id = $1",
    params: () => [pedido],
  },
  {
    constraint: "pedidos_id_pessoa_fkey",
    what: "DELETE de pessoa com pedidos (RESTRICT)",
    sql: "DELETE FROM pessoas WHERE id = $1",
    params: () => [PESSOA],
  },
  {
    constraint: "pedidos_id_pessoa_fkey",
    what: "troca do CPF de pessoa com pedidos (chave imutável)",
    sql: "UPDATE pessoas SET id = 55555555555 WHERE id = $1",
    params: () => [PESSOA],
  },
  {
    constraint: "pedidos_valor_total_check",
    what: "total negativo",
    sql: "INSERT INTO pedidos (id_pessoa, dt_venda, valor_total) VALUES ($1, now(), -0.01)",
    params: () => [PESSOA],
  },

  // itens_pedidos
  {
    constraint: "itens_pedidos_pkey",
    what: "mesmo produto duas vezes no pedido",
    sql: "INSERT INTO itens_pedidos (id_pedido, id_produto, qtde, valor_total) VALUES ($1, 1, 1, 1)",
    params: () => [pedido],
  },
  {
    constraint: "itens_pedidos_id_pedido_fkey",
    what: "pedido inexistente",
    sql: "INSERT INTO itens_pedidos (id_pedido, id_produto, qtde, valor_total) VALUES (-1, 1, 1, 1)",
  },
  {
    constraint: "itens_pedidos_id_pedido_fkey",
    what: "troca do id de pedido com itens (chave imutável)",
    sql: "UPDATE pedidos SET id = -1 WHERE id = $1",
    params: () => [pedidoSoItens],
  },
  {
    constraint: "itens_pedidos_id_produto_fkey",
    what: "produto inexistente",
    sql: "INSERT INTO itens_pedidos (id_pedido, id_produto, qtde, valor_total) VALUES ($1, 99999, 1, 1)",
    params: () => [pedido],
  },
  {
    constraint: "itens_pedidos_id_produto_fkey",
    what: "DELETE de produto já vendido (RESTRICT)",
    sql: "DELETE FROM produtos WHERE id = 1",
  },
  {
    constraint: "itens_pedidos_qtde_check",
    what: "quantidade zero",
    sql: "INSERT INTO itens_pedidos (id_pedido, id_produto, qtde, valor_total) VALUES ($1, 2, 0, 1)",
    params: () => [pedido],
  },
  {
    constraint: "itens_pedidos_qtde_check",
    what: "UPDATE para quantidade negativa",
    sql: "UPDATE itens_pedidos SET qtde = -1 WHERE id_pedido = $1",
    params: () => [pedido],
  },
  {
    constraint: "itens_pedidos_valor_total_check",
    what: "valor negativo",
    sql: "INSERT INTO itens_pedidos (id_pedido, id_produto, qtde, valor_total) VALUES ($1, 2, 1, -5)",
    params: () => [pedido],
  },

  // auditoria_pedidos
  {
    constraint: "auditoria_pedidos_pkey",
    what: "segunda auditoria para o mesmo pedido",
    sql: "INSERT INTO auditoria_pedidos (id_pedido, dispositivo, geohash, telefone) VALUES ($1, 'Iphone', '6gyf', '345678901')",
    params: () => [pedido],
  },
  {
    constraint: "auditoria_pedidos_id_pedido_fkey",
    what: "pedido inexistente",
    sql: "INSERT INTO auditoria_pedidos (id_pedido, dispositivo, geohash, telefone) VALUES (-1, 'Iphone', '6gyf', '345678901')",
  },
  {
    constraint: "auditoria_pedidos_id_pedido_fkey",
    what: "troca do id de pedido com auditoria (chave imutável)",
    sql: "UPDATE pedidos SET id = -1 WHERE id = $1",
    params: () => [pedidoSoAuditoria],
  },
  {
    constraint: "auditoria_pedidos_id_pedido_fkey",
    what: "UPDATE para pedido inexistente",
    sql: "UPDATE auditoria_pedidos SET id_pedido = -1 WHERE id_pedido = $1",
    params: () => [pedido],
  },
  { constraint: "auditoria_pedidos_dispositivo_check", what: "dispositivo vazio", ...auditoria("", "6gyf", "345678901") },
  { constraint: "auditoria_pedidos_geohash_check", what: "geohash vazio", ...auditoria("Iphone", "", "345678901") },
  { constraint: "auditoria_pedidos_geohash_check", what: "geohash maiúsculo", ...auditoria("Iphone", "6GYF", "345678901") },
  { constraint: "auditoria_pedidos_geohash_check", what: "geohash com 'a'", ...auditoria("Iphone", "6gya", "345678901") },
  { constraint: "auditoria_pedidos_geohash_check", what: "geohash com 'i'", ...auditoria("Iphone", "6gyi", "345678901") },
  { constraint: "auditoria_pedidos_geohash_check", what: "geohash com 'l'", ...auditoria("Iphone", "6gyl", "345678901") },
  { constraint: "auditoria_pedidos_geohash_check", what: "geohash com 'o'", ...auditoria("Iphone", "6gyo", "345678901") },
  { constraint: "auditoria_pedidos_geohash_check", what: "geohash com espaço", ...auditoria("Iphone", "6gy f", "345678901") },
  { constraint: "auditoria_pedidos_telefone_check", what: "telefone com letras", ...auditoria("Iphone", "6gyf", "11abc45678") },
  { constraint: "auditoria_pedidos_telefone_check", what: "telefone formatado", ...auditoria("Iphone", "6gyf", "(11) 91234-5678") },
  { constraint: "auditoria_pedidos_telefone_check", what: "telefone curto", ...auditoria("Iphone", "6gyf", "1234567") },
];

// Valid rows per table: the NOT NULL cases null out one column of these; before that, each row
// is checked to be accepted as is, so the only possible error is the NULL.
interface Baseline {
  key: string[];
  row: () => Record<string, unknown>;
}
const OLD = "2000-01-01T00:00:00Z";
const BASELINES: Record<string, Baseline> = {
  pessoas: {
    key: ["id"],
    row: () => ({ id: 11111111111, nome: "Base", sexo: "M", dt_nasc: "1980-02-29", created_at: OLD, updated_at: OLD }),
  },
  categorias: { key: ["id"], row: () => ({ id: 1000, descricao: "Base", created_at: OLD, updated_at: OLD }) },
  produtos: {
    key: ["id"],
    row: () => ({ id: 1000, id_categoria: 9, descricao: "Base", valor_unit: 1, created_at: OLD, updated_at: OLD }),
  },
  pedidos: {
    key: ["id"],
    row: () => ({ id: 1000000, id_pessoa: PESSOA, dt_venda: OLD, valor_total: 0, created_at: OLD, updated_at: OLD }),
  },
  itens_pedidos: {
    key: ["id_pedido", "id_produto"],
    row: () => ({ id_pedido: pedido, id_produto: 121, qtde: 2, valor_total: 379.8, created_at: OLD, updated_at: OLD }),
  },
  auditoria_pedidos: {
    key: ["id_pedido"],
    row: () => ({
      id_pedido: pedidoSemAuditoria,
      dispositivo: "Samsung",
      geohash: "6gyf",
      telefone: "345678901",
      created_at: OLD,
      updated_at: OLD,
    }),
  },
};

function insertSql(table: string, row: Record<string, unknown>): { sql: string; params: unknown[] } {
  const columns = Object.keys(row);
  const placeholders = columns.map((_, i) => `$${i + 1}`);
  return {
    sql: `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${placeholders.join(", ")})`,
    params: Object.values(row),
  };
}

async function schemaConstraints(): Promise<{ table: string; name: string; type: string }[]> {
  const { rows } = await client.query<{ table: string; name: string; type: string }>(
    `SELECT t.relname AS table, c.conname AS name, c.contype AS type
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
      WHERE t.relnamespace = $1::regnamespace AND c.contype IN ('c', 'f', 'p', 'u')
      ORDER BY 1, 2`,
    [SCHEMA],
  );
  return rows;
}

async function notNullColumns(): Promise<{ table: string; column: string }[]> {
  const { rows } = await client.query<{ table: string; column: string }>(
    `SELECT t.relname AS table, a.attname AS column
       FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
      WHERE t.relnamespace = $1::regnamespace AND t.relkind = 'r'
        AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull
      ORDER BY 1, a.attnum`,
    [SCHEMA],
  );
  return rows;
}

// ---------------------------------------------------------------------------------------
// Files and idempotency.

test("arquivos de init: numerados, sem meta-comandos do psql, sem credenciais, sem transação própria", async () => {
  const files = sqlFiles(INIT_DIR);
  assert.ok(files.length >= 4, `esperados ao menos 4 arquivos, achei ${files.join(", ")}`);
  for (const file of files) {
    const sql = await readFile(join(INIT_DIR, file), "utf8");
    assert.doesNotMatch(sql, /^\s*\\/m, `${file}: meta-comando do psql`);
    assert.doesNotMatch(sql, /password|localhost|\b543[23]\b|'sudoers'/i, `${file}: host/porta/credencial fixos`);
    // (plpgsql's BEGIN in a DO/function body has no semicolon; transaction control does)
    assert.doesNotMatch(sql, /^\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION)\s*;/im, `${file}: controle de transação`);
    assert.doesNotMatch(sql, /\bpublic\./i, `${file}: objeto qualificado com schema`);
    assert.doesNotMatch(sql, /rotulos_/i, `${file}: rotulos_* pertence a outra etapa`);
  }
});

async function catalogSnapshot() {
  const { rows } = await client.query<{ categorias: number; produtos: number; hash: string; ctids: string }>(
    `SELECT (SELECT count(*)::int FROM categorias) AS categorias,
            (SELECT count(*)::int FROM produtos) AS produtos,
            (SELECT md5(string_agg(format('%s|%s|%s|%s', id, id_categoria, descricao, valor_unit), ';' ORDER BY id))
               FROM produtos) ||
            (SELECT md5(string_agg(format('%s|%s', id, descricao), ';' ORDER BY id)) FROM categorias) AS hash,
            (SELECT string_agg(ctid::text, ',' ORDER BY id) FROM produtos) ||
            (SELECT string_agg(ctid::text, ',' ORDER BY id) FROM categorias) AS ctids`,
  );
  return rows[0];
}

test("aplicar os arquivos duas vezes funciona e não muda o catálogo", async () => {
  const first = await catalogSnapshot();
  assert.equal(first.categorias, 9);
  assert.equal(first.produtos, 200);
  // In a savepoint so that a failing re-apply does not abort the transaction for later tests.
  const second = await isolated(async () => {
    await applySqlDir(client, INIT_DIR);
    return catalogSnapshot();
  });
  assert.deepEqual(second, first, "a segunda aplicação deveria ser um no-op (mesmo conteúdo, mesmas tuplas)");
});

// Before the re-apply test: setval/nextval are not undone by ROLLBACK TO SAVEPOINT.
test("sequências de identidade começam depois dos ids do catálogo", async () => {
  await isolated(async () => {
    const p = await client.query<{ id: number }>(
      "INSERT INTO produtos (id_categoria, descricao, valor_unit) VALUES (9, 'Novo', 1) RETURNING id",
    );
    const c = await client.query<{ id: number }>("INSERT INTO categorias (descricao) VALUES ('Nova') RETURNING id");
    assert.equal(p.rows[0].id, 201);
    assert.equal(c.rows[0].id, 10);
  });
});

test("reaplicar restaura uma linha do catálogo alterada e preserva linhas extras", async () => {
  await isolated(async () => {
    await client.query("UPDATE produtos SET valor_unit = 1, descricao = 'Alterado' WHERE id = 1");
    await client.query("UPDATE categorias SET descricao = 'Alterada' WHERE id = 9");
    await client.query("INSERT INTO produtos (id, id_categoria, descricao, valor_unit) VALUES (5000, 9, 'Extra', 1)");
    await applySqlDir(client, INIT_DIR);
    const { rows } = await client.query(
      `SELECT (SELECT descricao || '|' || valor_unit FROM produtos WHERE id = 1) AS p1,
              (SELECT descricao FROM categorias WHERE id = 9) AS c9,
              (SELECT count(*)::int FROM produtos WHERE id = 5000) AS extra`,
    );
    assert.deepEqual(rows[0], { p1: "Camiseta Polo Masculina|289.58", c9: "Pet", extra: 1 });
    // The identity sequence never moves backwards past an existing id.
    const next = await client.query<{ id: number }>(
      "INSERT INTO produtos (id_categoria, descricao, valor_unit) VALUES (9, 'Próximo', 1) RETURNING id",
    );
    assert.equal(next.rows[0].id, 5001);
  });
});

// ---------------------------------------------------------------------------------------
// Catalog content.

test("catálogo: 9 categorias, produtos 1..200 sem lacunas, toda categoria com ao menos 15 produtos", async () => {
  const categorias = await client.query<{ id: number; descricao: string; n: number }>(
    `SELECT c.id, c.descricao, count(p.id)::int AS n
       FROM categorias c LEFT JOIN produtos p ON p.id_categoria = c.id GROUP BY c.id ORDER BY c.id`,
  );
  assert.deepEqual(
    categorias.rows.map((r) => `${r.id} ${r.descricao}`),
    [
      "1 Moda Masculina",
      "2 Moda Feminina",
      "3 Moda Infantil",
      "4 Tecnologia",
      "5 Veículos",
      "6 Construção",
      "7 Brinquedos",
      "8 Supermercado",
      "9 Pet",
    ],
  );
  for (const row of categorias.rows) assert.ok(row.n >= 15, `categoria ${row.id} (${row.descricao}) tem só ${row.n} produtos`);
  const ids = await client.query<{ min: number; max: number; n: number }>(
    "SELECT min(id) AS min, max(id) AS max, count(DISTINCT id)::int AS n FROM produtos",
  );
  assert.deepEqual(ids.rows[0], { min: 1, max: 200, n: 200 });
  // Spot checks of copied rows (accents survive the round trip).
  const spot = await client.query<{ id: number; id_categoria: number; descricao: string; valor_unit: string }>(
    "SELECT id, id_categoria, descricao, valor_unit FROM produtos WHERE id IN (1, 120, 161, 200) ORDER BY id",
  );
  assert.deepEqual(spot.rows, [
    { id: 1, id_categoria: 1, descricao: "Camiseta Polo Masculina", valor_unit: "289.58" },
    { id: 120, id_categoria: 6, descricao: "Escada Telescópica", valor_unit: "647.77" },
    { id: 161, id_categoria: 7, descricao: "Boneca de Pano", valor_unit: "293.38" },
    { id: 200, id_categoria: 8, descricao: "Água Mineral 1.5L", valor_unit: "3.00" },
  ]);
});

// ---------------------------------------------------------------------------------------
// Structure.

test("schema: as 6 tabelas do modelo e nada de rotulos_*", async () => {
  const { rows } = await client.query<{ relname: string }>(
    "SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind IN ('r', 'p') ORDER BY relname",
    [SCHEMA],
  );
  assert.deepEqual(
    rows.map((r) => r.relname),
    [...TABLES].sort(),
  );
  const labels = await client.query("SELECT 1 FROM pg_class WHERE relnamespace = $1::regnamespace AND relname LIKE 'rotulos%'", [SCHEMA]);
  assert.equal(labels.rowCount, 0);
});

test("índices usados pelas consultas do curso", async () => {
  const { rows } = await client.query<{ def: string }>(
    `SELECT regexp_replace(pg_get_indexdef(i.indexrelid), '^.* ON ([^ ]+\\.)?', '') AS def
       FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid WHERE t.relnamespace = $1::regnamespace`,
    [SCHEMA],
  );
  const defs = new Set(rows.map((r) => r.def));
  const expected = [
    "pedidos USING btree (id_pessoa, dt_venda)",
    "pedidos USING btree (dt_venda)",
    "itens_pedidos USING btree (id_produto)",
    "produtos USING btree (id_categoria)",
    ...TABLES.map((t) => `${t} USING btree (updated_at)`),
  ];
  for (const def of expected) assert.ok(defs.has(def), `índice ausente: ${def}`);
});

test("ON DELETE: RESTRICT para histórico, CASCADE para partes do pedido", async () => {
  const { rows } = await client.query<{ name: string; action: string }>(
    `SELECT conname AS name, confdeltype AS action FROM pg_constraint
      WHERE connamespace = $1::regnamespace AND contype = 'f' ORDER BY 1`,
    [SCHEMA],
  );
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.name, r.action])), {
    auditoria_pedidos_id_pedido_fkey: "c",
    itens_pedidos_id_pedido_fkey: "c",
    itens_pedidos_id_produto_fkey: "r",
    pedidos_id_pessoa_fkey: "r",
    produtos_id_categoria_fkey: "r",
  });
  await isolated(async () => {
    await client.query("DELETE FROM pedidos WHERE id = $1", [pedido]);
    const left = await client.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM itens_pedidos WHERE id_pedido = $1) +
              (SELECT count(*) FROM auditoria_pedidos WHERE id_pedido = $1) AS n`,
      [pedido],
    );
    assert.equal(Number(left.rows[0].n), 0, "itens e auditoria deveriam sair junto com o pedido");
  });
  // A person without orders can be deleted (the CDC demo inserts, updates and deletes one).
  await accepts("DELETE FROM pessoas WHERE id = $1", [PESSOA_SEM_PEDIDO]);
});

// ---------------------------------------------------------------------------------------
// Constraint coverage and violations.

test("toda constraint FK/CHECK/PK/UNIQUE do schema tem caso de violação (e vice-versa)", async () => {
  const constraints = await schemaConstraints();
  const covered = new Set(CASES.map((c) => c.constraint));
  const missing = constraints.filter((c) => !covered.has(c.name)).map((c) => `${c.table}.${c.name}`);
  assert.deepEqual(missing, [], "constraints sem caso de teste");
  const existing = new Set(constraints.map((c) => c.name));
  const stale = [...covered].filter((name) => !existing.has(name));
  assert.deepEqual(stale, [], "casos de teste para constraints que não existem");
  // Every table has a baseline row for the generated NOT NULL / updated_at cases.
  assert.deepEqual(Object.keys(BASELINES).sort(), [...TABLES].sort());
});

test("cada violação de FK/CHECK/PK/UNIQUE é rejeitada com o SQLSTATE e o nome da constraint", async (t) => {
  const types = new Map((await schemaConstraints()).map((c) => [c.name, c]));
  for (const c of CASES) {
    const info = types.get(c.constraint);
    assert.ok(info, `constraint ${c.constraint} não existe`);
    await t.test(`${c.constraint}: ${c.what}`, async () => {
      await rejects(c.sql, c.params?.() ?? [], { code: CODE_BY_CONTYPE[info.type], constraint: c.constraint });
    });
  }
});

test("valores de fronteira válidos são aceitos", async () => {
  await accepts("INSERT INTO pessoas (id, nome, sexo, dt_nasc) VALUES (10000000000, 'Min', 'F', '1900-01-01')");
  await accepts("INSERT INTO pessoas (id, nome, sexo, dt_nasc) VALUES (99999999999, 'Max', 'M', CURRENT_DATE)");
  for (const geohash of ["6", "6gyf", "0123456789bc", "defghjkmnpqr", "stuvwxyz"]) {
    await accepts("INSERT INTO auditoria_pedidos (id_pedido, dispositivo, geohash, telefone) VALUES ($1, 'Iphone', $2, '12345678')", [
      pedidoSemAuditoria,
      geohash,
    ]);
  }
  await accepts(
    "INSERT INTO auditoria_pedidos (id_pedido, dispositivo, geohash, telefone) VALUES ($1, 'Iphone', '6gyf', '+5511912345678')",
    [pedidoSemAuditoria],
  );
  await accepts("INSERT INTO pedidos (id_pessoa, dt_venda, valor_total) VALUES ($1, now(), 0)", [PESSOA]);
  await accepts("INSERT INTO itens_pedidos (id_pedido, id_produto, qtde, valor_total) VALUES ($1, 2, 1, 0)", [pedido]);
  await accepts("INSERT INTO produtos (id_categoria, descricao, valor_unit) VALUES (9, 'Centavo', 0.01)");
});

test("NOT NULL: cada coluna obrigatória rejeita NULL com 23502", async (t) => {
  const columns = await notNullColumns();
  assert.ok(columns.length >= 6 * 3, "colunas NOT NULL não encontradas");
  for (const table of TABLES) {
    const base = insertSql(table, BASELINES[table].row());
    await t.test(`${table}: linha base é válida`, () => accepts(base.sql, base.params));
  }
  for (const { table, column } of columns) {
    const baseline = BASELINES[table];
    assert.ok(baseline, `tabela ${table} sem linha base no teste`);
    await t.test(`${table}.${column} NULL`, async () => {
      const { sql, params } = insertSql(table, { ...baseline.row(), [column]: null });
      await rejects(sql, params, { code: SQLSTATE.notNull, table, column });
    });
  }
});

// ---------------------------------------------------------------------------------------
// updated_at trigger.

test("updated_at: trigger BEFORE UPDATE em toda tabela, e o valor muda a cada UPDATE", async (t) => {
  const triggers = await client.query<{ table: string }>(
    `SELECT c.relname AS table FROM pg_trigger g
       JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_proc f ON f.oid = g.tgfoid
      WHERE c.relnamespace = $1::regnamespace AND NOT g.tgisinternal
        AND f.proname = 'atualizar_updated_at'
        AND g.tgtype & 2 = 2   -- BEFORE
        AND g.tgtype & 1 = 1   -- FOR EACH ROW
        AND g.tgtype & 16 = 16 -- UPDATE
      ORDER BY 1`,
    [SCHEMA],
  );
  assert.deepEqual(
    triggers.rows.map((r) => r.table),
    [...TABLES].sort(),
  );

  for (const table of TABLES) {
    await t.test(table, () =>
      isolated(async () => {
        const { key, row } = BASELINES[table];
        const values = row();
        const insert = insertSql(table, values);
        await client.query(insert.sql, insert.params);
        const where = key.map((k, i) => `${k} = $${i + 1}`).join(" AND ");
        const keyValues = key.map((k) => values[k]);
        // An UPDATE that touches no data column still stamps the row (now() = transaction start).
        const touched = await client.query<{ fresh: boolean; created: Date }>(
          `UPDATE ${table} SET created_at = created_at WHERE ${where} RETURNING updated_at = now() AS fresh, created_at AS created`,
          keyValues,
        );
        assert.equal(touched.rowCount, 1);
        assert.equal(touched.rows[0].fresh, true, "updated_at deveria virar now()");
        assert.equal(touched.rows[0].created.toISOString(), new Date(OLD).toISOString(), "created_at não muda");
        // The trigger wins over a value written by the application.
        const forged = await client.query<{ fresh: boolean }>(
          `UPDATE ${table} SET updated_at = '1999-01-01' WHERE ${where} RETURNING updated_at = now() AS fresh`,
          keyValues,
        );
        assert.equal(forged.rows[0].fresh, true, "updated_at não pode ser forjado pelo UPDATE");
      }),
    );
  }
});
