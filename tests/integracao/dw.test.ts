// The DW side against the real databases: dw-init applied twice, the OLTP read through
// postgres_fdw by a least-privilege user (reads the six tables and the gabarito, writes nothing,
// sees nothing else), and geo.uf_do_geohash agreeing with lib/geo on every geohash of the OLTP,
// on the generators' places and on a grid of coastal and border points.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import ngeohash from "ngeohash";
import type pg from "pg";
import { config, type PgEndpoint } from "../../lib/config";
import { query, withClient } from "../../lib/db";
import { ErroPostgisAusente, TABELAS_OLTP, prepararDw, sqlstate, type ResumoDw } from "../../lib/dw";
import { codigoDeSaida, ErroServicoFora } from "../../lib/erros";
import {
  DISTANCIA_LITORAL_KM,
  LUGARES_FORA,
  LUGARES_PERMITIDOS,
  RAIO_TERRA_KM,
  geohashesPerto,
  litoralGeoJSON,
  ufDoGeohash,
  ufsGeoJSON,
} from "../../lib/geo";
import { garantirPessoas, gerarStreaming } from "../../lib/geradores";
import { criarRng, type Rng } from "../../lib/random";

const cfg = config();
const fdwNoOltp: PgEndpoint = { ...cfg.oltp, user: cfg.fdw.user, password: cfg.fdw.password };
const TABELAS_LIDAS = [...TABELAS_OLTP.map((t) => `public.${t}`), "gabarito.rotulos_fraude"].sort();

async function codigoDoErro(promessa: Promise<unknown>): Promise<string> {
  try {
    await promessa;
  } catch (erro) {
    return (erro as { code?: string }).code ?? (erro as Error).message;
  }
  return "sem erro";
}

let primeira: ResumoDw;

before(async () => {
  // On a fresh machine this file may run first: make sure there are orders to classify.
  const [{ n }] = await query<{ n: number }>("oltp", "SELECT count(*) AS n FROM auditoria_pedidos");
  if (n === 0) {
    await garantirPessoas(100);
    await gerarStreaming({ ticks: 3, intervaloMs: 0, pessoasPorTick: 0, pedidosPorTick: 100, seed: 42 });
  }
  primeira = await prepararDw();
});

describe("dw-init / prepararDw", () => {
  test("applies twice with the same result: extensions, server, mapping, foreign tables, geo data", async () => {
    const segunda = await prepararDw();
    assert.deepEqual(segunda, primeira);
    assert.deepEqual(segunda.tabelasExternas, [...TABELAS_OLTP.map((t) => `oltp.${t}`), "oltp_gabarito.rotulos_fraude"].sort());
    assert.equal(segunda.ufs, 27);
    assert.equal(segunda.litorais, 17);
    const ext = await query<{ extname: string }>(
      "dw",
      "SELECT extname FROM pg_extension WHERE extname IN ('postgis', 'postgres_fdw') ORDER BY 1",
    );
    assert.deepEqual(
      ext.map((e) => e.extname),
      ["postgis", "postgres_fdw"],
    );
    const [servidor] = await query<{ opcoes: string[] }>("dw", "SELECT srvoptions AS opcoes FROM pg_foreign_server WHERE srvname = 'oltp'");
    assert.deepEqual(servidor.opcoes.sort(), [
      `dbname=${cfg.oltp.database}`,
      "fetch_size=10000",
      `host=${cfg.oltp.host}`,
      `port=${cfg.oltp.port}`,
      "updatable=false",
    ]);
    const mapeamentos = await query<{ usename: string; opcoes: string[] }>(
      "dw",
      "SELECT usename, umoptions AS opcoes FROM pg_user_mappings WHERE srvname = 'oltp'",
    );
    assert.deepEqual(mapeamentos, [{ usename: cfg.dw.user, opcoes: [`user=${cfg.fdw.user}`, `password=${cfg.fdw.password}`] }]);
    const [geo] = await query<{ ufs: number; litorais: number; pontos: number }>(
      "dw",
      "SELECT (SELECT count(*) FROM geo.ufs) AS ufs, (SELECT count(*) FROM geo.litoral) AS litorais, " +
        "(SELECT sum(ST_NPoints(geom)) FROM geo.ufs) AS pontos",
    );
    const vertices = ufsGeoJSON().features.reduce(
      (n, f) =>
        n +
        (f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates).flat().reduce((m, anel) => m + anel.length, 0),
      0,
    );
    assert.deepEqual(geo, { ufs: 27, litorais: 17, pontos: vertices });
  });
});

describe("prepararDw: PostGIS missing", () => {
  test("a missing extension is told by its SQLSTATE, also through applySqlDir's wrapping, and the kit's error exits 2", async () => {
    const erro = await query("dw", "CREATE EXTENSION IF NOT EXISTS extensao_que_nao_existe").then(
      () => assert.fail("CREATE EXTENSION of a missing extension succeeded"),
      (e: unknown) => e,
    );
    const embrulhado = new Error("Falha ao aplicar 01_extensoes.sql", { cause: erro });
    // 0A000 up to PostgreSQL 15, 58P01 (undefined_file) from 16 on.
    assert.ok(["0A000", "58P01"].includes(sqlstate(embrulhado) ?? ""), `SQLSTATE ${sqlstate(embrulhado)}`);
    assert.equal(sqlstate(new Error("sem código")), undefined);
    const ausente = new ErroPostgisAusente(`postgresql://${cfg.dw.host}:${cfg.dw.port}/${cfg.dw.database}`, cfg.versions.postgres, erro);
    assert.ok(ausente instanceof ErroServicoFora);
    assert.equal(ausente.servico, "PostGIS");
    assert.equal(codigoDeSaida(ausente), 2);
    assert.match(ausente.message, /PostGIS não está instalado no DW/);
  });
});

describe("postgres_fdw: the OLTP's read-only user", () => {
  test("the user has LOGIN only and SELECT on exactly the six tables and the gabarito", async () => {
    const [papel] = await query<Record<string, boolean>>(
      "oltp",
      `SELECT rolcanlogin AS login, rolsuper AS su, rolreplication AS repl, rolcreatedb AS createdb,
              rolcreaterole AS createrole, rolbypassrls AS bypassrls
         FROM pg_roles WHERE rolname = $1`,
      [cfg.fdw.user],
    );
    assert.deepEqual(papel, { login: true, su: false, repl: false, createdb: false, createrole: false, bypassrls: false });
    const grants = await query<{ tabela: string; privilegios: string }>(
      "oltp",
      `SELECT table_schema || '.' || table_name AS tabela, string_agg(privilege_type, ',' ORDER BY privilege_type) AS privilegios
         FROM information_schema.role_table_grants WHERE grantee = $1 GROUP BY 1 ORDER BY 1`,
      [cfg.fdw.user],
    );
    assert.deepEqual(
      grants,
      TABELAS_LIDAS.map((tabela) => ({ tabela, privilegios: "SELECT" })),
    );
  });

  test("through the foreign schemas the DW reads the six tables and the gabarito", async () => {
    // Each foreign table returns exactly its OLTP table's rows. Other tests may insert while this
    // one counts (the tables only grow): the OLTP's count must lie between two DW counts taken
    // before and after it — equal to both when nothing is writing.
    const contar = async (banco: "dw" | "oltp", tabela: string) =>
      Number((await query<{ n: string }>(banco, `SELECT count(*) AS n FROM ${tabela}`))[0].n);
    for (const [externa, remota] of [
      ...TABELAS_OLTP.map((t) => [`oltp.${t}`, `public.${t}`]),
      ["oltp_gabarito.rotulos_fraude", "gabarito.rotulos_fraude"],
    ] as const) {
      const antes = await contar("dw", externa);
      const noOltp = await contar("oltp", remota);
      const depois = await contar("dw", externa);
      assert.ok(antes <= noOltp && noOltp <= depois, `${externa}: DW ${antes}..${depois} rows, OLTP ${remota} ${noOltp}`);
    }
    // Rows that do not change while other tests write: the catalog.
    const [dw] = await query<{ n: number; soma: string }>("dw", "SELECT count(*) AS n, sum(valor_unit)::text AS soma FROM oltp.produtos");
    const [oltp] = await query<{ n: number; soma: string }>("oltp", "SELECT count(*) AS n, sum(valor_unit)::text AS soma FROM produtos");
    assert.deepEqual(dw, oltp);
    assert.ok(dw.n > 0);
  });

  test("writes are refused on the DW side (updatable=false) and by the OLTP (no privilege, read-only session)", async () => {
    await assert.rejects(query("dw", "INSERT INTO oltp.categorias SELECT * FROM oltp.categorias LIMIT 0"), /does not allow inserts/);
    await assert.rejects(query("dw", "DELETE FROM oltp.pedidos"), /does not allow deletes/);
    await withClient(fdwNoOltp, async (c) => {
      assert.equal((await c.query("SELECT count(*) AS n FROM gabarito.rotulos_fraude")).rows.length, 1);
      // Every session starts read-only…
      assert.equal(await codigoDoErro(c.query("DELETE FROM categorias WHERE id = -1")), "25006");
      // …and even a read-write transaction has no write privilege.
      await c.query("BEGIN READ WRITE");
      assert.equal(await codigoDoErro(c.query("DELETE FROM categorias WHERE id = -1")), "42501");
      await c.query("ROLLBACK");
      await c.query("BEGIN READ WRITE");
      assert.equal(await codigoDoErro(c.query("CREATE TABLE public.fdw_nao_pode (x int)")), "42501");
      await c.query("ROLLBACK");
    });
  });

  test("nothing else is readable: another OLTP table, even imported by hand into the DW", async () => {
    const tabela = `dw_teste_${randomUUID().slice(0, 8)}`;
    const esquema = `dw_teste_${randomUUID().slice(0, 8)}`;
    await query("oltp", `CREATE TABLE public.${tabela} (segredo text); INSERT INTO public.${tabela} VALUES ('x')`);
    try {
      assert.equal(await codigoDoErro(withClient(fdwNoOltp, (c) => c.query(`SELECT * FROM public.${tabela}`))), "42501");
      await query("dw", `CREATE SCHEMA ${esquema}; IMPORT FOREIGN SCHEMA public LIMIT TO (${tabela}) FROM SERVER oltp INTO ${esquema}`);
      await assert.rejects(query("dw", `SELECT * FROM ${esquema}.${tabela}`), /permission denied/);
    } finally {
      await query("dw", `DROP SCHEMA IF EXISTS ${esquema} CASCADE`);
      await query("oltp", `DROP TABLE IF EXISTS public.${tabela}`);
    }
    // Of every user table and view of the OLTP (the detector's schema included), exactly the seven.
    await withClient(fdwNoOltp, async (c) => {
      const { rows } = await c.query<{ tabela: string }>(
        `SELECT n.nspname || '.' || c.relname AS tabela FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND has_table_privilege(current_user, c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
          ORDER BY 1`,
      );
      assert.deepEqual(
        rows.map((r) => r.tabela),
        TABELAS_LIDAS,
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The location rule: SQL (geo.uf_do_geohash) against lib/geo (ufDoGeohash)

const KM_POR_GRAU = (RAIO_TERRA_KM * Math.PI) / 180;

/** A point drawn uniformly over the disc of `raioKm` around (lat, lon). */
function perto(rng: Rng, lat: number, lon: number, raioKm: number): [number, number] {
  const r = raioKm * Math.sqrt(rng());
  const teta = 2 * Math.PI * rng();
  const la = Math.max(-89.9, Math.min(89.9, lat + (r * Math.sin(teta)) / KM_POR_GRAU));
  return [la, lon + (r * Math.cos(teta)) / (KM_POR_GRAU * Math.cos((lat * Math.PI) / 180))];
}

/** Coastal and border points where the two implementations could most plausibly differ. */
function pontosDificeis(): Map<string, string[]> {
  const rng = criarRng(20_251_126);
  const precisao = () => 5 + Math.floor(rng() * 5); // 5..9
  const grupos = new Map<string, string[]>();
  const add = (grupo: string, lat: number, lon: number, p = precisao()) => {
    if (!grupos.has(grupo)) grupos.set(grupo, []);
    grupos.get(grupo)!.push(ngeohash.encode(lat, lon, p));
  };
  for (const f of litoralGeoJSON().features) {
    for (const linha of f.geometry.coordinates) {
      for (const [lon, lat] of linha) {
        // Around every coastline vertex, out to past the 30 km limit, and a band right at it.
        add("litoral: até 40 km de um vértice", ...perto(rng, lat!, lon!, DISTANCIA_LITORAL_KM + 10));
        const teta = 2 * Math.PI * rng();
        const r = DISTANCIA_LITORAL_KM - 1 + 2 * rng();
        add(
          "litoral: anel de 29–31 km",
          lat! + (r * Math.sin(teta)) / KM_POR_GRAU,
          lon! + (r * Math.cos(teta)) / (KM_POR_GRAU * Math.cos((lat! * Math.PI) / 180)),
          9,
        );
      }
    }
  }
  for (const f of ufsGeoJSON().features) {
    const poligonos = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
    for (const anel of poligonos.flat()) {
      for (const [lon, lat] of anel) {
        // Right on the vertex (precision 12: the cell centre is centimetres away) and around it.
        add("divisas: sobre o vértice", lat!, lon!, 12);
        add("divisas: até 1,5 km do vértice", ...perto(rng, lat!, lon!, 1.5));
      }
    }
  }
  for (let lat = -34.5; lat <= 6; lat += 0.5) {
    for (let lon = -75; lon <= -28; lon += 0.5) add("grade de 0,5° sobre o Brasil e o mar", lat, lon, 7);
  }
  return grupos;
}

describe("geo.uf_do_geohash = lib/geo ufDoGeohash", () => {
  let conexao: pg.Client | undefined;
  after(async () => {
    await conexao?.end();
  });

  async function classificarNoDw(hashes: string[]): Promise<{ uf: string; lat: number; lon: number }[]> {
    return withClient("dw", async (c) => {
      const { rows } = await c.query<{ uf: string; lat: number; lon: number }>(
        `SELECT geo.uf_do_geohash(h) AS uf, ST_Y(ST_PointFromGeoHash(h)) AS lat, ST_X(ST_PointFromGeoHash(h)) AS lon
           FROM unnest($1::text[]) WITH ORDINALITY AS g(h, i) ORDER BY i`,
        [hashes],
      );
      return rows;
    });
  }

  async function conferir(grupo: string, hashes: string[]): Promise<void> {
    const unicos = [...new Set(hashes)];
    const t0 = Date.now();
    const sql = await classificarNoDw(unicos);
    const ms = Date.now() - t0;
    const divergencias: string[] = [];
    let maiorDiferencaCentro = 0;
    const porUf = new Map<string, number>();
    unicos.forEach((h, i) => {
      const ts = ufDoGeohash(h);
      const { latitude, longitude } = ngeohash.decode(h);
      maiorDiferencaCentro = Math.max(maiorDiferencaCentro, Math.abs(latitude - sql[i]!.lat), Math.abs(longitude - sql[i]!.lon));
      porUf.set(ts, (porUf.get(ts) ?? 0) + 1);
      if (ts !== sql[i]!.uf) divergencias.push(`${h}: SQL ${sql[i]!.uf}, lib/geo ${ts}`);
    });
    const fora = porUf.get("fora do Brasil") ?? 0;
    console.log(
      `  ${grupo}: ${unicos.length} geohashes, ${divergencias.length} divergências, ${porUf.size - (fora ? 1 : 0)} UFs + ${fora} fora do Brasil, ` +
        `SQL ${ms} ms (${((ms * 1000) / Math.max(1, unicos.length)).toFixed(0)} µs/geohash)`,
    );
    assert.equal(maiorDiferencaCentro, 0, "ST_PointFromGeoHash and ngeohash.decode give the same cell centre");
    assert.deepEqual(divergencias.slice(0, 20), [], `${grupo}: ${divergencias.length} divergências`);
  }

  test("every distinct geohash of the OLTP's auditoria_pedidos (read through oltp.auditoria_pedidos)", async () => {
    const hashes = (await query<{ geohash: string }>("dw", "SELECT DISTINCT geohash FROM oltp.auditoria_pedidos")).map((r) => r.geohash);
    assert.ok(hashes.length > 0, "the OLTP has orders");
    await conferir("auditoria_pedidos (OLTP via postgres_fdw)", hashes);
  });

  test("the generators' places (geohashesPerto of every LUGAR)", async () => {
    const rng = criarRng(7);
    const hashes = [...LUGARES_PERMITIDOS, ...LUGARES_FORA].flatMap((l) => [
      ...geohashesPerto(l, 40, rng),
      ...geohashesPerto(l, 10, rng, 5),
      ...geohashesPerto(l, 10, rng, 9),
    ]);
    await conferir("LUGARES (geohashesPerto)", hashes);
  });

  test("coastal and border points", async () => {
    for (const [grupo, hashes] of pontosDificeis()) await conferir(grupo, hashes);
  });

  test("an invalid geohash is refused like lib/geo refuses it", async () => {
    assert.throws(() => ufDoGeohash("6m3a"), /Geohash inválido/);
    await assert.rejects(
      query("dw", "SELECT geo.uf_do_geohash('6m3a')"),
      (e: Error & { code?: string }) => e.code === "22023" && /Geohash inválido/.test(e.message),
    );
    const [{ uf }] = await query<{ uf: string | null }>("dw", "SELECT geo.uf_do_geohash(NULL) AS uf");
    assert.equal(uf, null);
  });
});
