// The DW side of the warehouse: PostGIS, the OLTP read in place through postgres_fdw (schemas
// oltp and oltp_gabarito) by a least-privilege user, and the location rule of lib/geo.ts in SQL
// (geo.uf_do_geohash over geo.ufs / geo.litoral). The SQL lives in dw-init/ (see its README).
import { join } from "node:path";
import type pg from "pg";
import { garantirRotulos } from "./carga";
import { config } from "./config";
import { applySqlDir, inTransaction, withClient } from "./db";
import { DISTANCIA_LITORAL_KM, litoralGeoJSON, ufsGeoJSON } from "./geo";
import { ErroServicoFora } from "./erros";

/** The six store tables the DW reads from the OLTP (schema oltp of the DW): the domain's list. */
export { TABELAS_OLTP } from "./dominio";

export interface ResumoDw {
  /** Foreign tables of the DW, as schema.table. */
  tabelasExternas: string[];
  ufs: number;
  litorais: number;
}

/**
 * The DW's PostgreSQL has no PostGIS package: CREATE EXTENSION postgis fails. An environment the
 * kit cannot use (exit code 2, like a service that is down), so it extends ErroServicoFora;
 * `url` is the DW that lacks it.
 */
export class ErroPostgisAusente extends ErroServicoFora {
  override name = "ErroPostgisAusente";
  constructor(url: string, versaoPostgres: string, causa: unknown) {
    super(
      "PostGIS",
      url,
      `O PostGIS não está instalado no DW (${url}): rode \`npm run stack -- up\` (instala o pacote ` +
        `postgresql-${versaoPostgres}-postgis-3) ou use a imagem postgis do docker compose.\n` +
        `Erro do PostgreSQL: ${(causa as Error).message}`,
      { cause: causa },
    );
  }
}

/**
 * SQLSTATEs of CREATE EXTENSION for an extension whose files are not on the server: 58P01
 * (undefined_file: no control file, or no shared library) and 0A000 (feature_not_supported).
 * Both can have other causes, so pg_available_extensions confirms that PostGIS is the one missing.
 */
const SEM_ARQUIVO_DE_EXTENSAO = new Set(["58P01", "0A000"]);

/** The SQLSTATE of a PostgreSQL error, also when wrapped as the `cause` of another (applySqlDir does). */
export function sqlstate(erro: unknown): string | undefined {
  for (let e = erro; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

async function extensaoDisponivel(client: pg.ClientBase, nome: string): Promise<boolean> {
  const { rowCount } = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = $1", [nome]);
  return (rowCount ?? 0) > 0;
}

function pasta(...partes: string[]): string {
  return join(config().root, "dw-init", ...partes);
}

/**
 * Loads lib/data's state polygons and coastlines into geo.ufs / geo.litoral, replacing what is
 * there in one transaction (readers see the old or the new set, never a mix): rerunning leaves
 * the same rows.
 */
async function carregarGeo(client: pg.ClientBase): Promise<{ ufs: number; litorais: number }> {
  const ufs = JSON.stringify(ufsGeoJSON());
  const litoral = JSON.stringify(litoralGeoJSON());
  return inTransaction(client, async () => {
    await client.query("DELETE FROM geo.litoral");
    await client.query("DELETE FROM geo.ufs");
    const u = await client.query(
      `INSERT INTO geo.ufs (uf, nome, geom)
       SELECT f -> 'properties' ->> 'uf', f -> 'properties' ->> 'nome',
              ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON((f -> 'geometry')::text), 4326))
         FROM jsonb_array_elements($1::jsonb -> 'features') AS f`,
      [ufs],
    );
    const l = await client.query(
      `INSERT INTO geo.litoral (uf, geom)
       SELECT f -> 'properties' ->> 'uf', ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON((f -> 'geometry')::text), 4326))
         FROM jsonb_array_elements($1::jsonb -> 'features') AS f`,
      [litoral],
    );
    return { ufs: u.rowCount ?? 0, litorais: l.rowCount ?? 0 };
  });
}

/**
 * Sets up the DW side, idempotently: on the OLTP the read-only user FDW_USER (SELECT on the six
 * tables and gabarito.rotulos_fraude only); on the DW postgis + postgres_fdw, the foreign server
 * pointing at OLTP_HOST:OLTP_PORT/OLTP_DB, the user mapping, the foreign schemas oltp and
 * oltp_gabarito, and the geo schema with its data and geo.uf_do_geohash.
 */
export async function prepararDw(): Promise<ResumoDw> {
  const cfg = config();
  const { user: usuario, password: senha } = cfg.fdw;
  await withClient("oltp", async (client) => {
    await garantirRotulos(client);
    await applySqlDir(client, pasta("oltp"), { fdw_user: usuario, fdw_password: senha });
  });
  return withClient("dw", async (client) => {
    try {
      await applySqlDir(client, pasta("dw"), {
        fdw_user: usuario,
        fdw_password: senha,
        oltp_host: cfg.oltp.host,
        oltp_port: String(cfg.oltp.port),
        oltp_db: cfg.oltp.database,
        distancia_litoral_m: String(DISTANCIA_LITORAL_KM * 1000),
      });
    } catch (erro) {
      if (SEM_ARQUIVO_DE_EXTENSAO.has(sqlstate(erro) ?? "") && !(await extensaoDisponivel(client, "postgis"))) {
        throw new ErroPostgisAusente(`postgresql://${cfg.dw.host}:${cfg.dw.port}/${cfg.dw.database}`, cfg.versions.postgres, erro);
      }
      throw erro;
    }
    const { ufs, litorais } = await carregarGeo(client);
    const { rows } = await client.query<{ t: string }>(
      `SELECT format('%s.%s', foreign_table_schema, foreign_table_name) AS t
         FROM information_schema.foreign_tables
        WHERE foreign_server_name = 'oltp' ORDER BY 1`,
    );
    return { tabelasExternas: rows.map((r) => r.t), ufs, litorais };
  });
}
